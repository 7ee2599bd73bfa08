import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { buildLikeServerless, ROOT, scratchDir } from './bundle.ts';
import { median } from './ideal.ts';
import { runNodeChild } from './node-child.ts';

/** What one child process reports: the time `require` took inside it. */
interface LoadSample {
  loadMs: number;
  wallMs: number;
}

export interface LoadStats {
  /** Median ms of `require` inside the child (process.hrtime around it). */
  loadMs: number;
  /** Median ms from spawn to exit, seen from the parent. */
  wallMs: number;
  runs: number;
}

export interface ColdStartResult {
  /** `withoutSqs`: the same bundle with `@aws-sdk/client-sqs` answered by an empty stand-in (what a lazy import would save). */
  bundles: Record<string, { bytes: number; load: LoadStats; withoutSqs: LoadStats }>;
  /** `@huaweicloud/huaweicloud-sdk-core` + `@huaweicloud/huaweicloud-sdk-ecs`. */
  sdk: LoadStats;
  /** `node` starting and exiting with nothing to load: the floor of every wall time. */
  emptyNode: LoadStats;
  runs: number;
}

const HANDLERS = ['functions/sweep.ts', 'functions/remediate.ts'] as const;
const SDK_MODULES = ['@huaweicloud/huaweicloud-sdk-core', '@huaweicloud/huaweicloud-sdk-ecs'];

// Run inside a fresh `node`: requires each module named in argv and prints the time.
const LOADER = `'use strict';
const modules = JSON.parse(process.argv[2]);
const started = process.hrtime.bigint();
for (const m of modules) require(m);
const loadMs = Number(process.hrtime.bigint() - started) / 1e6;
process.stdout.write(JSON.stringify({ loadMs }));
`;

// Answers the bundles' require('@aws-sdk/client-sqs') with empty classes, to
// measure the bundles without the AWS SDK's load time.
const SQS_STANDIN = `'use strict';
exports.SQSClient = class SQSClient {};
exports.SendMessageCommand = class SendMessageCommand {};
exports.SendMessageBatchCommand = class SendMessageBatchCommand {};
`;

// sdk-core 3.1.211 requires 'uuid' (for v4 only) without declaring it, so it
// cannot load from this node_modules; a stand-in on crypto.randomUUID lets it.
// The real package would cost the SDK a few more milliseconds, not fewer.
const UUID_STANDIN = `'use strict';
const { randomUUID } = require('node:crypto');
exports.v4 = () => randomUUID();
`;

async function loadOnce(
  loader: string,
  modules: readonly string[],
  nodePath: string,
): Promise<LoadSample> {
  const { result, wallMs } = await runNodeChild<{ loadMs: number }>(
    `loading ${modules.join(', ')}`,
    [loader, JSON.stringify(modules)],
    { cwd: join(loader, '..'), env: { NODE_PATH: nodePath } },
  );
  return { loadMs: result.loadMs, wallMs };
}

function stats(samples: readonly LoadSample[]): LoadStats {
  return {
    loadMs: median(samples.map((s) => s.loadMs)),
    wallMs: median(samples.map((s) => s.wallMs)),
    runs: samples.length,
  };
}

/**
 * Builds both handlers as serverless.yml does, then times loading each bundle
 * in a fresh `node` against loading the official Huawei Cloud SDK (core +
 * ECS) in a fresh `node`, alternating the order run by run. Our bundles
 * `require('@aws-sdk/client-sqs')` from node_modules at load (Lambda's
 * runtime provides it there): that time is part of ours.
 */
export async function runColdStartBench(runs: number): Promise<ColdStartResult> {
  const scratch = scratchDir('aps-bench-cold');
  try {
    const built = await buildLikeServerless(HANDLERS, join(scratch.path, 'dist'));
    const loader = join(scratch.path, 'load.cjs');
    writeFileSync(loader, LOADER);
    const standin = join(scratch.path, 'standin', 'node_modules', 'uuid');
    mkdirSync(standin, { recursive: true });
    writeFileSync(join(standin, 'index.js'), UUID_STANDIN);
    writeFileSync(
      join(standin, 'package.json'),
      '{"name":"uuid","version":"0.0.0","main":"index.js"}',
    );
    const sqsStandin = join(scratch.path, 'no-sqs', 'node_modules', '@aws-sdk', 'client-sqs');
    mkdirSync(sqsStandin, { recursive: true });
    writeFileSync(join(sqsStandin, 'index.js'), SQS_STANDIN);
    writeFileSync(
      join(sqsStandin, 'package.json'),
      '{"name":"@aws-sdk/client-sqs","version":"0.0.0","main":"index.js"}',
    );
    // Both sides resolve bare names the same way: the stand-in, then the project's node_modules.
    const nodePath = [
      join(scratch.path, 'standin', 'node_modules'),
      join(ROOT, 'node_modules'),
    ].join(delimiter);
    const noSqsPath = [join(scratch.path, 'no-sqs', 'node_modules'), nodePath].join(delimiter);
    const subjects: { key: string; modules: string[]; nodePath: string }[] = [
      ...Object.entries(built).map(([name, b]) => ({ key: name, modules: [b.path], nodePath })),
      ...Object.entries(built).map(([name, b]) => ({
        key: `${name}-without-sqs`,
        modules: [b.path],
        nodePath: noSqsPath,
      })),
      { key: 'sdk', modules: SDK_MODULES, nodePath },
      { key: 'empty', modules: [], nodePath },
    ];
    const samples = new Map<string, LoadSample[]>(subjects.map((s) => [s.key, []]));
    // One untimed round so the first timed run does not pay for a cold disk cache.
    for (const subject of subjects) await loadOnce(loader, subject.modules, subject.nodePath);
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? subjects : [...subjects].reverse();
      for (const subject of order) {
        samples.get(subject.key)?.push(await loadOnce(loader, subject.modules, subject.nodePath));
      }
    }
    const bundles: ColdStartResult['bundles'] = {};
    for (const [name, b] of Object.entries(built)) {
      bundles[name] = {
        bytes: b.bytes,
        load: stats(samples.get(name) ?? []),
        withoutSqs: stats(samples.get(`${name}-without-sqs`) ?? []),
      };
    }
    return {
      bundles,
      sdk: stats(samples.get('sdk') ?? []),
      emptyNode: stats(samples.get('empty') ?? []),
      runs,
    };
  } finally {
    scratch.remove();
  }
}
