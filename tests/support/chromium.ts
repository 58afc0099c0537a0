// Headless Debian chromium for the report tests, driven by playwright-core (no browser download:
// executablePath is the distribution's /usr/bin/chromium), with the flags this machine's closed
// network needs and a fresh profile each time.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Opens `file` in headless chromium (scripts on or off), hands the page to `fn`, closes everything. */
export async function withPage<T>(
  file: string,
  o: { scripts: boolean; width?: number; height?: number },
  fn: (page: Page, requests: string[]) => Promise<T>,
): Promise<T> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  try {
    const context = await browser.newContext({
      javaScriptEnabled: o.scripts,
      viewport: { width: o.width ?? 1400, height: o.height ?? 900 },
    });
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    return await fn(page, requests);
  } finally {
    await browser.close();
  }
}
