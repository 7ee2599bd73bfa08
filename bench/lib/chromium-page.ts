import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../test/helpers/chromium.ts';

/**
 * Writes `html` to a scratch file, opens it from there in headless Chromium
 * at 1,400 px (the Debian package's binary unless `executablePath` says
 * otherwise), waits for the load event and for `selector` to be visible,
 * then lets `use` measure the page. The browser and the file are gone after.
 */
export async function withPageInChromium<T>(
  html: string,
  options: { selector: string; executablePath?: string | undefined },
  use: (page: Page) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'aps-page-bench-'));
  const file = join(dir, 'page.html');
  writeFileSync(file, html);
  const browser = await chromium.launch({
    executablePath: options.executablePath ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
    await page.locator(options.selector).waitFor({ state: 'visible' });
    return await use(page);
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
