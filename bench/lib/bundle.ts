import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The project root (where package.json and node_modules are). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A scratch directory under the OS temp dir, removed by `remove()`; with
 * `inProject`, under node_modules/.cache instead, where a bundle's dynamic
 * `import('@aws-sdk/…')` resolves (ESM ignores NODE_PATH) as on Lambda.
 */
export function scratchDir(
  prefix: string,
  inProject = false,
): { path: string; remove: () => void } {
  const base = inProject ? join(ROOT, 'node_modules', '.cache') : tmpdir();
  mkdirSync(base, { recursive: true });
  const path = mkdtempSync(join(base, `${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Bundles entry points exactly as serverless.yml's `custom.esbuild` does
 * (bundle, minify, no source map, platform node, target node24, format cjs,
 * `.cjs` files, `@aws-sdk/*` external) into `outdir`. Returns each output's
 * path and size in bytes, keyed by the entry's base name.
 */
export async function buildLikeServerless(
  entries: readonly string[],
  outdir: string,
  /** Extra directories to resolve bare imports from (resolution only; the output settings are the same). */
  nodePaths: readonly string[] = [],
  /** For a CPU profile (bench/profile-sweep.ts): names kept (no minify) and an external source map beside each file. */
  options: { forProfile?: boolean } = {},
): Promise<Record<string, { path: string; bytes: number }>> {
  const named = Object.fromEntries(
    entries.map((entry) => [basename(entry, '.ts'), join(ROOT, entry)]),
  );
  await build({
    entryPoints: named,
    bundle: true,
    minify: options.forProfile !== true,
    sourcemap: options.forProfile === true ? 'external' : false,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    outdir,
    outExtension: { '.js': '.cjs' },
    external: ['@aws-sdk/*'],
    nodePaths: [...nodePaths],
    logLevel: 'error',
  });
  const out: Record<string, { path: string; bytes: number }> = {};
  for (const name of Object.keys(named)) {
    const path = join(outdir, `${name}.cjs`);
    out[name] = { path, bytes: statSync(path).size };
  }
  return out;
}
