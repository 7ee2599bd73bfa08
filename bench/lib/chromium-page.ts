import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../test/helpers/chromium.ts';

/** What Chromium's renderer spent on the page up to now (CDP `Performance.getMetrics`). */
export interface RendererMetrics {
  /** Main-thread tasks, in ms: everything below and the HTML parse, which has no metric of its own. */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
  styleMs: number;
  /** DOM nodes, text nodes included. */
  nodes: number;
}

/**
 * Writes `html` to a scratch file, opens it from there in headless Chromium
 * at 1,400 px (the Debian package's binary unless `executablePath` says
 * otherwise), waits for the load event and for `selector` to be visible,
 * then lets `use` measure the page (`renderer` reads what the renderer spent
 * so far). The browser and the file are gone after.
 */
export async function withPageInChromium<T>(
  html: string,
  options: { selector: string; executablePath?: string | undefined },
  use: (page: Page, renderer: () => Promise<RendererMetrics>) => Promise<T>,
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
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load', timeout: 120_000 });
    await page.locator(options.selector).waitFor({ state: 'visible' });
    return await use(page, async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const of = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
      return {
        taskMs: of('TaskDuration') * 1000,
        scriptMs: of('ScriptDuration') * 1000,
        layoutMs: of('LayoutDuration') * 1000,
        styleMs: of('RecalcStyleDuration') * 1000,
        nodes: of('Nodes'),
      };
    });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
