import { pathToFileURL } from 'node:url';
import type { AppServer, ServerGroup, SessionInfo } from '../lib/huawei/schemas.ts';
import { evaluateGroup } from '../lib/scaling/evaluate.ts';
import type { EvaluateGroupInput } from '../lib/scaling/types.ts';

/** One benchmark's result line. Times are milliseconds per evaluateGroup call. */
export interface EvaluateBenchResult {
  name: string;
  medianMs: number;
  p95Ms: number;
  targetMs: number;
}

const SERVERS = 1_000;
const SESSIONS = 10_000;
const WARM_UP_RUNS = 30;
const MEASURED_RUNS = 200;
const TARGET_MS = 10;
const NOW = Date.UTC(2024, 5, 1, 12);
const MINUTE = 60_000;

// A fixed linear congruential generator: the same fleet on every run.
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function iso(minutesAgo: number): string {
  return new Date(NOW - minutesAgo * MINUTE).toISOString();
}

/**
 * A 1,000-server group with 10,000 sessions (10 per server on average, 5 %
 * active): a mix of busy, idle and recently used servers, the same on every call.
 */
export function buildBenchInput(): EvaluateGroupInput {
  const random = lcg(42);
  const group: ServerGroup = {
    id: 'sg-bench',
    name: 'bench',
    server_group_status: true,
    product_info: { sessions: 4 },
    scaling_policy: {
      enable: true,
      max_scaling_amount: 100,
      single_expansion_count: 5,
      scaling_policy_by_session: {
        session_usage_threshold: 90,
        shrink_after_session_idle_minutes: 30,
      },
    },
    tags: [],
  };
  const servers: AppServer[] = [];
  for (let i = 0; i < SERVERS; i++) {
    servers.push({
      id: `srv-${String(i).padStart(4, '0')}`,
      machine_name: `APS-${String(i).padStart(4, '0')}`,
      server_group_id: group.id,
      instance_id: `ins-${i}`,
      status: 'REGISTERED',
      vm_status: 'ACTIVE',
      maintain_status: false,
      session_count: random() < 0.3 ? 1 + Math.floor(random() * 3) : 0,
      scaling_auto_create: random() < 0.5,
      create_time: iso(1_000 + Math.floor(random() * 10_000)),
      job_status: 'SUCCESS',
      freeze: [],
      tags: [],
    });
  }
  // Mostly ended sessions, so nearly every timestamp is parsed: the costly path.
  const states = [
    ...Array<'SignedOut'>(17).fill('SignedOut'),
    'InitFail',
    'InitFail',
    'Active',
  ] as const;
  const sessions: SessionInfo[] = [];
  for (let j = 0; j < SESSIONS; j++) {
    const server = Math.floor(random() * SERVERS);
    const state = states[Math.floor(random() * states.length)] ?? 'SignedOut';
    const ended = 5 + Math.floor(random() * 1_400);
    sessions.push({
      id: `ses-${j}`,
      machine_name: `APS-${String(server).padStart(4, '0')}`,
      app_server_group_id: group.id,
      session_state: state,
      start_time: iso(ended + 60),
      end_time: state === 'Active' ? null : iso(ended),
      last_update_status_time: iso(ended),
    });
  }
  return {
    group,
    servers,
    sessions,
    now: NOW,
    limits: { minServersPerGroup: 1, maxRemovalsPerGroup: 10, protectTagKey: 'protect' },
  };
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

/**
 * Measures `evaluateGroup` on the 1,000-server / 10,000-session group: 30
 * warm-up calls, then 200 timed calls with `process.hrtime.bigint`.
 * @returns median and p95 in milliseconds, rounded to 0.001 ms, and the 10 ms target.
 */
export function runEvaluateBench(): EvaluateBenchResult {
  const input = buildBenchInput();
  let sink = 0;
  for (let i = 0; i < WARM_UP_RUNS; i++) sink += evaluateGroup(input).members.length;
  const times: number[] = [];
  for (let i = 0; i < MEASURED_RUNS; i++) {
    const start = process.hrtime.bigint();
    sink += evaluateGroup(input).members.length;
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  // Keeps the calls observable so they cannot be optimised away.
  if (sink !== (WARM_UP_RUNS + MEASURED_RUNS) * SERVERS) throw new Error('unexpected member count');
  times.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 1_000) / 1_000;
  return {
    name: 'evaluate-1000-servers-10000-sessions',
    medianMs: round(percentile(times, 50)),
    p95Ms: round(percentile(times, 95)),
    targetMs: TARGET_MS,
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(runEvaluateBench()));
}
