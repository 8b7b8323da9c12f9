/**
 * Walks a paging generator one page ahead: while `handle` labels and publishes page n, the
 * generator already fetches page n+1. Pages are still handled in order, and a page's cursor is
 * written only after its own records, so a restart re-reads at most the page that was ahead.
 */
export async function forEachAhead<T>(steps: AsyncGenerator<T>, handle: (step: T) => Promise<void>): Promise<void> {
  // A page fetched ahead may fail before it is awaited: mark it handled now; the await sees the error.
  const ahead = () => {
    const p = steps.next();
    p.catch(() => {});
    return p;
  };
  let pending = ahead();
  try {
    for (;;) {
      const result = await pending;
      if (result.done) return;
      pending = ahead();
      await handle(result.value);
    }
  } finally {
    // Leaving early (stop, failure): the page fetched ahead is dropped, and so is its error.
    await steps.return(undefined).catch(() => {});
  }
}
