import { fileURLToPath } from 'node:url';
import type { ClientChildOptions, ClientChildResult, ClientMode } from './client-cpu-child.ts';
import { runNodeChildIn } from './cpu-quota.ts';
import { startServerGroupPages } from './server-group-pages.ts';

const CHILD = fileURLToPath(new URL('./client-cpu-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Any AK/SK: the page server does not check signatures (both clients still sign). */
const AK = 'BENCHAK0000000000001';
const SK = 'BENCHSKbenchSecretKey0123456789abcdefghij';

export interface ClientCpuBenchOptions {
  /** Sequential requests per CPU run. */
  requests: number;
  warmup: number;
  /** For the wall-time runs. */
  latencyMs: number;
  concurrency: number;
}

export interface ClientRun extends ClientChildResult {
  cpuPerRequestMs: number;
}

export interface ClientCpuBenchResult {
  pageBytes: number;
  /** Sequential, no added latency: CPU per request of each client. */
  cpu: Record<ClientMode, ClientRun>;
  /** Concurrency `concurrency`, `latencyMs` added by the server. */
  wall: { ours: ClientRun; official: ClientRun };
}

const SEQUENTIAL_ORDER: readonly ClientMode[] = [
  'floor',
  'fetch',
  'undici',
  'ours-fetch',
  'ours',
  'official',
];

async function runClient(mode: ClientMode, o: ClientChildOptions): Promise<ClientRun> {
  const r = await runNodeChildIn<ClientChildResult>(
    `client ${mode}`,
    ['--import', 'tsx', CHILD, mode, JSON.stringify(o)],
    { cwd: ROOT, env: { NODE_ENV: 'production' } },
  );
  if (r.requests !== o.requests) throw new Error(`client ${mode} made ${r.requests} requests`);
  return { ...r, cpuPerRequestMs: r.cpuMs / r.requests };
}

/**
 * The client side by side: every client lists the very same 100-item ECS
 * server-group pages from one local server (bench/lib/server-group-pages.ts),
 * each in a fresh node; CPU is the child's own (process.cpuUsage) over the
 * measured requests only, start-up and warm-up excluded.
 */
export async function runClientCpuBench(o: ClientCpuBenchOptions): Promise<ClientCpuBenchResult> {
  const base = { ak: AK, sk: SK, warmup: o.warmup };
  const fast = await startServerGroupPages();
  const cpu = {} as Record<ClientMode, ClientRun>;
  let pageBytes: number;
  try {
    pageBytes = fast.pageBytes;
    const opts = { ...base, url: fast.url, projectId: fast.projectId, requests: o.requests };
    for (const mode of SEQUENTIAL_ORDER)
      cpu[mode] = await runClient(mode, { ...opts, concurrency: 1 });
  } finally {
    await fast.close();
  }
  const slow = await startServerGroupPages({ latencyMs: o.latencyMs });
  try {
    const opts = {
      ...base,
      url: slow.url,
      projectId: slow.projectId,
      requests: o.requests,
      concurrency: o.concurrency,
    };
    const ours = await runClient('ours', opts);
    const official = await runClient('official', opts);
    return { pageBytes, cpu, wall: { ours, official } };
  } finally {
    await slow.close();
  }
}
