import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import { median } from './ideal.ts';
import { runNodeChild } from './node-child.ts';

/** What one child process reports: the time `require` took inside it, and the SQS client's first use after it. */
interface LoadSample {
  loadMs: number;
  sqsMs: number;
  wallMs: number;
}

export interface LoadStats {
  /** Median ms of `require` inside the child (process.hrtime around it). */
  loadMs: number;
  /** Median ms of the SQS client's first use after the load (require + construct), as the invocation that first sends pays it. */
  sqsMs: number;
  /** Median ms from spawn to exit, seen from the parent. */
  wallMs: number;
  runs: number;
}

export interface ColdStartResult {
  bundles: Record<string, { bytes: number; load: LoadStats }>;
  /** bench/lib/sdk-shell.ts: the same shell around the official SDK (core + ECS), bundled the same way. */
  sdk: { bytes: number; load: LoadStats };
  /** `node` starting and exiting with nothing to load: the floor of every wall time. */
  emptyNode: LoadStats;
  runs: number;
}

const HANDLERS = ['functions/sweep.ts', 'functions/remediate.ts'] as const;
const SDK_SHELL = 'bench/lib/sdk-shell.ts';

// Run inside a fresh `node`: requires each module named in argv and prints
// the time, then times the SQS client's first use as runtime.ts makes it
// (its lazy import of @aws-sdk/client-sqs, then a client).
const LOADER = `'use strict';
const modules = JSON.parse(process.argv[2]);
const started = process.hrtime.bigint();
for (const m of modules) require(m);
const loaded = process.hrtime.bigint();
let sqsMs = 0;
if (modules.length > 0) {
  const { SQSClient } = require('@aws-sdk/client-sqs');
  new SQSClient({ region: 'eu-west-1' });
  sqsMs = Number(process.hrtime.bigint() - loaded) / 1e6;
}
const loadMs = Number(loaded - started) / 1e6;
process.stdout.write(JSON.stringify({ loadMs, sqsMs }));
`;

// sdk-core 3.1.211 requires 'uuid' (for v4 only) without declaring it, so it
// cannot resolve from this node_modules; a stand-in on crypto.randomUUID lets
// the shell bundle build. The real package would cost the SDK more, not less.
const UUID_STANDIN = `'use strict';
const { randomUUID } = require('node:crypto');
exports.v4 = () => randomUUID();
`;

async function loadOnce(loader: string, modules: readonly string[]): Promise<LoadSample> {
  const { result, wallMs } = await runNodeChild<{ loadMs: number; sqsMs: number }>(
    `loading ${modules.join(', ')}`,
    [loader, JSON.stringify(modules)],
    { cwd: join(loader, '..'), env: { NODE_PATH: join(ROOT, 'node_modules') } },
  );
  return { loadMs: result.loadMs, sqsMs: result.sqsMs, wallMs };
}

function stats(samples: readonly LoadSample[]): LoadStats {
  return {
    loadMs: median(samples.map((s) => s.loadMs)),
    sqsMs: median(samples.map((s) => s.sqsMs)),
    wallMs: median(samples.map((s) => s.wallMs)),
    runs: samples.length,
  };
}

/**
 * Builds both handlers and the official-SDK shell with the same esbuild
 * settings (serverless.yml's), then times loading each bundle in a fresh
 * `node`, alternating the order run by run, and after each load the SQS
 * client's first use (@aws-sdk/* stays external: on Lambda the runtime
 * provides it, and our handlers import it lazily).
 */
export async function runColdStartBench(runs: number): Promise<ColdStartResult> {
  const scratch = scratchDir('aps-bench-cold');
  try {
    const standin = join(scratch.path, 'standin', 'node_modules', 'uuid');
    mkdirSync(standin, { recursive: true });
    writeFileSync(join(standin, 'index.js'), UUID_STANDIN);
    writeFileSync(
      join(standin, 'package.json'),
      '{"name":"uuid","version":"0.0.0","main":"index.js"}',
    );
    const dist = join(scratch.path, 'dist');
    const built = await buildLikeServerless(HANDLERS, dist);
    const shell = (
      await buildLikeServerless([SDK_SHELL], dist, [join(scratch.path, 'standin', 'node_modules')])
    )['sdk-shell'];
    if (shell === undefined) throw new Error('the SDK shell was not built');
    const loader = join(scratch.path, 'load.cjs');
    writeFileSync(loader, LOADER);
    const subjects: { key: string; modules: string[] }[] = [
      ...Object.entries(built).map(([name, b]) => ({ key: name, modules: [b.path] })),
      { key: 'sdk', modules: [shell.path] },
      { key: 'empty', modules: [] },
    ];
    const samples = new Map<string, LoadSample[]>(subjects.map((s) => [s.key, []]));
    // One untimed round so the first timed run does not pay for a cold disk cache.
    for (const subject of subjects) await loadOnce(loader, subject.modules);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? subjects : [...subjects].reverse();
      for (const subject of order) {
        samples.get(subject.key)?.push(await loadOnce(loader, subject.modules));
      }
    }
    const bundles: ColdStartResult['bundles'] = {};
    for (const [name, b] of Object.entries(built)) {
      bundles[name] = { bytes: b.bytes, load: stats(samples.get(name) ?? []) };
    }
    return {
      bundles,
      sdk: { bytes: shell.bytes, load: stats(samples.get('sdk') ?? []) },
      emptyNode: stats(samples.get('empty') ?? []),
      runs,
    };
  } finally {
    scratch.remove();
  }
}
