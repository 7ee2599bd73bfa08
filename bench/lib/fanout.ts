import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSweepHandler } from '../../functions/sweep.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import { generateFleet } from '../../sim/generate-fleet.ts';
import { startLocalSqs } from '../../sim/local-sqs.ts';
import { cpuProfileFlags } from './cpu-profile-summary.ts';
import {
  criticalPaths,
  expectFanout,
  type FanoutMinimum,
  fanoutMinimum,
} from './fanout-minimum.ts';
import type { FanoutWorkerOptions, FanoutWorkerResult } from './fanout-worker.ts';
import { seconds } from './lines.ts';
import { type SimProcess, trackChild } from './sim-process.ts';
import { benchDeps } from './sweep-deps.ts';

const WORKER = fileURLToPath(new URL('./fanout-worker.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The workers' settings (MAX_CONCURRENCY also sets the ideal's lookup rounds). */
const ENV = {
  MAX_CONCURRENCY: '16',
  RATE_LIMIT_RPS: '0',
  HTTP_TIMEOUT_MS: '10000',
  SESSION_LOOKBACK_HOURS: '24',
  // Evaluation is what fans out: acting adds one group's removals one after
  // another (up to 10 × 2 requests), which would make K = 1 at 10,000 groups
  // take an hour; the messages carry dryRun: true.
  DRY_RUN: 'true',
  MAX_REMOVALS_PER_SWEEP: '1000000',
};

export interface FanoutRun {
  workers: number;
  messages: number;
  /** From `go` to the last batch deleted, ms (the workers' start-up and final empty polls excluded). */
  wallMs: number;
  idealMs: number;
  messagesPerSecond: number;
  /** Groups evaluated once, more than once, never (from the workers and from the simulator's log). */
  once: number;
  twice: number;
  missing: number;
  simOnce: number;
  failedRecords: number;
  deadLetters: number;
  batches: number;
  /** Machine CPU busy during the run, in cores (of `cores`), from /proc/stat. */
  machineBusyCores: number;
  cores: number;
  workerCpuMs: number;
  simCpuMs: number;
  /** The workers' requests as the simulator logged them, by route. */
  routes: Record<string, number>;
  /** Distinct instances whose own ECS record the workers read. */
  ecsInstances: number;
}

export interface FanoutBenchResult {
  groups: number;
  latencyMs: number;
  enqueueMs: number;
  /** Sum over groups of one message's critical path in requests. */
  chainRequests: number;
  /** Of those, the rounds of ECS lookups: Σ ⌈removals planned ÷ MAX_CONCURRENCY⌉ over the messages that plan any. */
  lookupRounds: number;
  /** The simulator's instant the workers' phase ran at (its clock frozen, theirs pinned to it). */
  frozenAt: string;
  /** The fewest requests the workers can make (bench/lib/fanout-minimum.ts). */
  minimum: FanoutMinimum;
  runs: FanoutRun[];
}

/** Busy and total jiffies of the whole machine (/proc/stat); NaN where unreadable. */
function machineJiffies(): { busy: number; total: number } {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1);
    const n = (fields ?? []).map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

function forkWorker(options: FanoutWorkerOptions): { child: ChildProcess; ready: Promise<void> } {
  const child = fork(WORKER, [JSON.stringify(options)], {
    cwd: ROOT,
    execArgv: [...cpuProfileFlags('fanout-worker'), '--import', 'tsx'],
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  trackChild(child);
  const ready = new Promise<void>((resolve, reject) => {
    child.once('message', (m) =>
      (m as { type?: string }).type === 'ready' ? resolve() : reject(),
    );
    child.once('exit', (code) => reject(new Error(`fanout worker exited (${code}) before ready`)));
  });
  return { child, ready };
}

function resultOf(child: ChildProcess): Promise<FanoutWorkerResult> {
  return new Promise((resolve, reject) => {
    child.on('message', (m) => {
      const message = m as { type?: string; result?: FanoutWorkerResult };
      if (message.type === 'result' && message.result) resolve(message.result);
    });
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`fanout worker failed (exit ${code})`));
    });
  });
}

/**
 * How many evaluations of each group the simulator saw (its GET
 * server-groups?server_group_id=… calls), and every call by route.
 */
async function simEvaluations(
  sim: SimProcess,
): Promise<{ counts: Map<string, number>; routes: Record<string, number>; ecsInstances: number }> {
  const counts = new Map<string, number>();
  const routes: Record<string, number> = {};
  const looked = new Set<string>();
  for (const call of await sim.calls()) {
    const route = call.route ?? 'unrouted';
    routes[route] = (routes[route] ?? 0) + 1;
    if (route === 'showEcsServer') looked.add(call.path);
    if (call.route !== 'listServerGroups') continue;
    const id = new URLSearchParams(call.query).get('server_group_id');
    if (id !== null) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return { counts, routes, ecsInstances: looked.size };
}

/**
 * The distributed path at scale: for each K, the simulator is reset, a
 * fanout sweep puts one evaluate-group message per group on the real local
 * SQS server, then K worker processes drain it through the real remediate
 * handler against the simulator (`latencyMs` per request).
 */
export async function runFanoutBench(
  sim: SimProcess,
  fleet: { groups: number; serversPerGroup: number; seed: number },
  options: { latencyMs: number; workers: readonly number[]; progress?: (message: string) => void },
): Promise<FanoutBenchResult> {
  const expectation = expectFanout(generateFleet(fleet));
  const minimum = fanoutMinimum(expectation);
  const { chainRequests, lookupRounds } = criticalPaths(expectation, Number(ENV.MAX_CONCURRENCY));
  const sqs = await startLocalSqs();
  const runs: FanoutRun[] = [];
  let enqueueMs = 0;
  let frozenAt = '';
  try {
    for (const k of options.workers) {
      // Unfreezes and rebases the simulator on the wall clock the enqueueing signs with.
      await sim.reset();
      // PurgeQueue is allowed once a minute: empty both queues by receiving instead.
      const leftBefore = (await sqs.drain(sqs.remediationQueueUrl)).length;
      if (leftBefore > 0)
        throw new Error(`${leftBefore} message(s) left on the queue by the last run`);
      await sqs.drain(sqs.deadLetterQueueUrl);
      const fanout = createSweepHandler({
        ...benchDeps(sim, {
          ...ENV,
          SWEEP_MODE: 'fanout',
          REMEDIATION_QUEUE_URL: sqs.remediationQueueUrl,
          DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
        }),
        sqs: async () => sqs.client as SQSClient,
      });
      const enqueueStarted = performance.now();
      const report = await fanout({ detail: {} }, fakeContext({ remainingMs: 900_000 }));
      enqueueMs = performance.now() - enqueueStarted;
      const sent = report.enqueued?.sent ?? 0;
      if (sent !== fleet.groups) throw new Error(`fanout enqueued ${sent} of ${fleet.groups}`);
      await sim.reset();
      await sim.setFaults({ routes: { '*': { latencyMs: options.latencyMs } } });
      // The workers see the fleet at the instant the minimum and the ideal
      // are computed for: a clock running through a run of minutes would let
      // more servers pass their idle limit, and plan (and look up) more.
      const frozen = await sim.freezeClock();
      frozenAt = new Date(frozen).toISOString();
      const workerOptions: FanoutWorkerOptions = {
        nowMs: frozen,
        sim: { url: sim.url, projectId: sim.projectId, ak: sim.ak, sk: sim.sk },
        sqsEndpoint: sqs.endpoint,
        queueUrl: sqs.remediationQueueUrl,
        env: { ...ENV, DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl },
      };
      const workers = Array.from({ length: k }, () => forkWorker(workerOptions));
      await Promise.all(workers.map((w) => w.ready));
      const results = workers.map((w) => resultOf(w.child));
      const simCpu = sim.cpuMs();
      const jiffies = machineJiffies();
      const goAt = Date.now();
      for (const w of workers) w.child.send('go');
      const done = await Promise.all(results);
      const after = machineJiffies();
      await Promise.all(
        workers.map((w) => (w.child.exitCode === null ? once(w.child, 'exit') : null)),
      );
      const lastDoneAt = Math.max(...done.map((r) => r.lastDoneAt));
      const wallMs = lastDoneAt - goAt;
      const counts = new Map<string, number>();
      for (const id of done.flatMap((r) => r.done)) counts.set(id, (counts.get(id) ?? 0) + 1);
      const byId = [...counts.values()];
      const { counts: simCounts, routes, ecsInstances } = await simEvaluations(sim);
      const deadLetters = (await sqs.drain(sqs.deadLetterQueueUrl)).length;
      const cores = cpus().length;
      options.progress?.(`fanout K = ${k}: ${seconds(wallMs)}`);
      runs.push({
        workers: k,
        messages: fleet.groups,
        wallMs,
        idealMs: (chainRequests * options.latencyMs) / k,
        messagesPerSecond: (byId.length * 1000) / wallMs,
        once: byId.filter((n) => n === 1).length,
        twice: byId.filter((n) => n > 1).length,
        missing: fleet.groups - counts.size,
        simOnce: [...simCounts.values()].filter((n) => n === 1).length,
        failedRecords: done.reduce((s, r) => s + r.failed, 0),
        deadLetters,
        batches: done.reduce((s, r) => s + r.batches, 0),
        machineBusyCores: ((after.busy - jiffies.busy) / (after.total - jiffies.total)) * cores,
        cores,
        workerCpuMs: done.reduce((s, r) => s + r.cpuMs, 0),
        simCpuMs: sim.cpuMs() - simCpu,
        routes,
        ecsInstances,
      });
    }
  } finally {
    await sqs.close();
  }
  return {
    groups: fleet.groups,
    latencyMs: options.latencyMs,
    enqueueMs,
    chainRequests,
    lookupRounds,
    frozenAt,
    minimum,
    runs,
  };
}
