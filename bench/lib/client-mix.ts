import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSweepHandler } from '../../functions/sweep.ts';
import { createTransport, type Transport } from '../../lib/huawei/transport.ts';
import { fakeContext } from '../../scripts/lib/lambda.ts';
import { ROUTE_KEYS, ROUTE_TABLE, type RouteKey } from '../../sim/route-table.ts';
import type { MixChildOptions, MixChildResult, RecordedRequest } from './client-mix-child.ts';
import {
  type CpuProfile,
  cpuProfileFlags,
  type ProfileSummary,
  profileMarkdown,
  summariseProfile,
} from './cpu-profile-summary.ts';
import { runNodeChildIn } from './cpu-quota.ts';
import type { SimProcess } from './sim-process.ts';
import { benchDeps } from './sweep-deps.ts';

const CHILD = fileURLToPath(new URL('./client-mix-child.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Recorded extends RecordedRequest {
  status: number;
  text: string;
  requestId: string | undefined;
}

const ROUTES = ROUTE_KEYS.map((key) => ({
  key,
  method: ROUTE_TABLE[key].method as string,
  re: new RegExp(ROUTE_TABLE[key].pattern),
}));

function routeOf(method: string, path: string): RouteKey | null {
  const bare = path.split('?')[0] ?? path;
  return ROUTES.find((r) => r.method === method && r.re.test(bare))?.key ?? null;
}

/** Wraps a transport to keep every attempt and its whole answer. */
function recording(base: Transport): { transport: Transport; recorded: Recorded[] } {
  const recorded: Recorded[] = [];
  return {
    recorded,
    transport: {
      async send(req) {
        const res = await base.send(req);
        recorded.push({
          method: req.method,
          path: req.path,
          body: req.body,
          route: routeOf(req.method, req.path),
          status: res.status,
          text: res.text,
          requestId: res.requestId,
        });
        return res;
      },
      close: () => base.close(),
    },
  };
}

/** Answers each `method path` with its recorded answers, in a cycle; no signature check, no latency. */
async function startReplayServer(recorded: readonly Recorded[]) {
  const byKey = new Map<string, { answers: Recorded[]; next: number }>();
  for (const r of recorded) {
    const key = `${r.method} ${r.path}`;
    const entry = byKey.get(key) ?? { answers: [], next: 0 };
    entry.answers.push(r);
    byKey.set(key, entry);
  }
  const server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      const entry = byKey.get(`${req.method} ${req.url}`);
      const answer = entry?.answers[entry.next % entry.answers.length];
      if (entry === undefined || answer === undefined) {
        res.writeHead(404).end('{"error_code":"REPLAY.404","error_msg":"not recorded"}');
        return;
      }
      entry.next += 1;
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        ...(answer.requestId === undefined ? {} : { 'x-request-id': answer.requestId }),
      });
      res.end(answer.text);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ClientMixResult {
  requests: number;
  /** Requests per route in the recorded mix. */
  routes: Record<string, number>;
  bytes: number;
  floor: MixChildResult;
  ours: MixChildResult;
  /** Where each one's CPU went in a separate, profiled pass over the same mix (profiler on). */
  profiles: { floor: ProfileSummary; ours: ProfileSummary };
}

/**
 * Client CPU over the sweep's real request mix: one acting sweep of `sim`
 * (no added latency) through the default transport, every attempt and answer
 * recorded; then a local server replays those answers to two fresh nodes,
 * the floor (node:http keep-alive + JSON.parse) and ours (the HTTP core,
 * signing and validating), which send the very same requests in order.
 */
export async function runClientMixBench(
  sim: SimProcess,
  options: { warmup: number },
): Promise<ClientMixResult> {
  await sim.reset();
  const rec = recording(createTransport());
  const handler = createSweepHandler(
    benchDeps(
      sim,
      {
        MAX_CONCURRENCY: '16',
        RATE_LIMIT_RPS: '0',
        HTTP_TIMEOUT_MS: '10000',
        DRY_RUN: 'false',
        MAX_REMOVALS_PER_SWEEP: '1000000',
      },
      rec.transport,
    ),
  );
  const report = await handler({ detail: {} }, fakeContext({ remainingMs: 600_000 }));
  await rec.transport.close();
  if (report.status !== 'completed' || report.errors.length > 0) {
    throw new Error(`recording sweep ended ${report.status} with ${report.errors.length} errors`);
  }
  const recorded = rec.recorded;
  const file = join(tmpdir(), `aps-autoscaler-mix-${process.pid}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      recorded.map(({ method, path, body, route }) => ({ method, path, body, route })),
    ),
  );
  const routes: Record<string, number> = {};
  for (const r of recorded) routes[r.route ?? 'unknown'] = (routes[r.route ?? 'unknown'] ?? 0) + 1;
  const replay = await startReplayServer(recorded);
  try {
    const o: MixChildOptions = {
      url: replay.url,
      projectId: sim.projectId,
      ak: sim.ak,
      sk: sim.sk,
      file,
      warmup: options.warmup,
    };
    const run = (mode: 'floor' | 'ours', extra: Partial<MixChildOptions> = {}) =>
      runNodeChildIn<MixChildResult>(
        `client mix ${mode}`,
        [
          ...cpuProfileFlags(`mix-${mode}`),
          '--import',
          'tsx',
          CHILD,
          mode,
          JSON.stringify({ ...o, ...extra }),
        ],
        {
          cwd: ROOT,
          env: { NODE_ENV: 'production' },
        },
      );
    const floor = await run('floor');
    const ours = await run('ours');
    const profiled = async (mode: 'floor' | 'ours') => {
      const profileFile = join(tmpdir(), `aps-autoscaler-mix-${mode}-${process.pid}.cpuprofile`);
      await run(mode, { profileFile });
      const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
      rmSync(profileFile, { force: true });
      return summariseProfile(profile, 15);
    };
    const profiles = { floor: await profiled('floor'), ours: await profiled('ours') };
    return {
      profiles,
      requests: recorded.length,
      routes,
      bytes: recorded.reduce((n, r) => n + Buffer.byteLength(r.text), 0),
      floor,
      ours,
    };
  } finally {
    await replay.close();
  }
}

/** This run's profile of the mix replay, ours and the floor, for RESULTS.md. */
export function mixProfileMarkdown(mix: ClientMixResult): string {
  return [
    "## Where the client's CPU goes in the real mix (profiled in this run)",
    '',
    `Each replaying child of the mix line once more over the same ${mix.requests} requests, the V8 sampling profiler on (100 µs) for the measured pass only; the ratio in the table comes from the unprofiled pass. The profiles before this work (node:http, the general signer, zod) are in bench/PROFILE.md.`,
    '',
    profileMarkdown(
      'ours: lib/huawei/http.ts over HTTP/1.1 sockets, request signer, compiled schemas',
      mix.profiles.ours,
    ),
    '',
    profileMarkdown('the floor: node:http keep-alive + JSON.parse', mix.profiles.floor),
  ].join('\n');
}
