import { execFileSync } from 'node:child_process';

/**
 * The path of Debian's `chromium` (found on PATH), or undefined. In CI (`CI`
 * set) a missing browser is an error: `.ci/run` installs it; elsewhere the
 * caller skips with a WARN line.
 */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  let path: string | undefined;
  try {
    path =
      execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    path = undefined;
  }
  if (path !== undefined) return path;
  if (env['CI'] !== undefined && env['CI'] !== '') {
    throw new Error(
      'chromium is not installed, and CI is set: the browser tests must run here (apt-get install -y chromium)',
    );
  }
  console.warn(
    'WARN: chromium not found on PATH; the browser tests are SKIPPED (apt-get install -y chromium to run them)',
  );
  return undefined;
}

/** How the browser tests and the page bench start Chromium: headless, quiet, no network of its own. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
