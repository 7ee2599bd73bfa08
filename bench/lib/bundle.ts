import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
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

/** The output settings of serverless.yml's `custom.esbuild` that change what runs. */
export interface EsbuildSettings {
  minify: boolean;
  keepNames: boolean;
  /** esbuild's `sourcemap`: `linked` writes a .map beside each file and names it in a comment. */
  sourcemap: 'linked' | 'external' | 'inline' | 'both' | false;
}

/** serverless.yml's `custom.esbuild` minify, keepNames and sourcemap, or a clear error naming the missing one. */
export function serverlessEsbuild(
  yaml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8'),
): EsbuildSettings {
  const block = /^ {2}esbuild:\n((?: {4}.*\n|\s*#.*\n|\s*\n)+)/m.exec(yaml)?.[1];
  if (block === undefined) throw new Error('serverless.yml: no custom.esbuild block');
  const setting = (name: string, values: readonly string[]) => {
    const value = new RegExp(`^ {4}${name}:\\s*(\\S+)\\s*$`, 'm').exec(block)?.[1];
    if (value === undefined || !values.includes(value))
      throw new Error(
        `serverless.yml: custom.esbuild.${name} is ${value ?? 'missing'}, expected one of ${values.join(', ')} (bench/lib/bundle.ts)`,
      );
    return value;
  };
  const flag = (name: string) => setting(name, ['true', 'false']) === 'true';
  const sourcemap = setting('sourcemap', ['linked', 'external', 'inline', 'both', 'false']);
  return {
    minify: flag('minify'),
    keepNames: flag('keepNames'),
    sourcemap: sourcemap === 'false' ? false : (sourcemap as EsbuildSettings['sourcemap']),
  };
}

/**
 * Bundles entry points exactly as serverless.yml's `custom.esbuild` does
 * (bundle; minify, keepNames and sourcemap as it sets them, `serverlessEsbuild`;
 * platform node, target node24, format cjs, `.cjs` files, `@aws-sdk/*`
 * external) into `outdir`. Returns each output's path and size in bytes
 * (the source map not counted), keyed by the entry's base name.
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
  const deployed = serverlessEsbuild();
  await build({
    entryPoints: named,
    bundle: true,
    ...(options.forProfile === true ? { minify: false, sourcemap: 'external' } : deployed),
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
