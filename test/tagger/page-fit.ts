/** Layout probes for the browser tests, as page scripts (the tests' TypeScript has no DOM types). */
import type { Page } from 'playwright-core';

const OVERFLOWS = `(() => {
  const out = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) out.push('document ' + root.scrollWidth + ' > ' + root.clientWidth);
  for (const el of document.querySelectorAll('main *, header *')) {
    if (el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0 && getComputedStyle(el).overflowX !== 'visible') {
      out.push(el.tagName.toLowerCase() + '.' + el.className + ' ' + el.scrollWidth + ' > ' + el.clientWidth);
    }
  }
  return out;
})()`;

/**
 * The document wider than the window, or any element of the header or main whose content is
 * wider than its box while it clips or scrolls it (a panel hiding a column, a clipped status).
 */
export async function overflows(page: Page): Promise<string[]> {
  return (await page.evaluate(OVERFLOWS)) as string[];
}

/** The narrowest table cell, heading or block whose text starts with `start`: a long text squeezed to a word or two is unreadable. */
export async function narrowestText(page: Page, start: string): Promise<number> {
  const script = `(() => {
    const start = ${JSON.stringify(start)};
    const widths = [...document.querySelectorAll('main td, main h2, main .market-desc, main li')]
      .filter((el) => (el.textContent || '').trimStart().startsWith(start))
      .map((el) => el.getBoundingClientRect().width);
    return widths.length ? Math.min(...widths) : Infinity;
  })()`;
  return (await page.evaluate(script)) as number;
}
