/** A headless Chromium page as the Tag Manager's browser tests use it. */
import { type Browser, chromium, type Page } from 'playwright-core';

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A 1280 × 800 page whose console errors and uncaught exceptions are pushed to `problems`, for the test to check. */
export async function openPage(executablePath: string, problems: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath, headless: true, args: ARGS });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { browser, page };
}
