import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../scripts/lib/signed-fetch.ts';
import { startSimProcess } from './lib/sim-process.ts';

export interface SimBenchResult {
  name: 'simulator';
  requestsPerSecond: number;
  /** Seconds the child spent generating and indexing the fleet. */
  loadSeconds: number;
  fleet: string;
}

export interface SimBenchOptions {
  groups?: number;
  serversPerGroup?: number;
  /** Measured requests, after a warm-up of 2,000. */
  requests?: number;
  concurrency?: number;
  seed?: number;
}

function get(agent: Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

/**
 * Starts the simulator in a child process with a generated fleet, then drives
 * it over real HTTP (keep-alive, signed with the official signer) from this
 * process with the calls of a sweep: one page of 100 server groups, then for
 * each of those groups its servers and its sessions of the last 24 hours.
 * Returns requests per second and the fleet's load time.
 */
export async function runSimBench(options: SimBenchOptions = {}): Promise<SimBenchResult> {
  const groups = options.groups ?? 10_000;
  const perGroup = options.serversPerGroup ?? 20;
  const total = options.requests ?? 5000;
  const concurrency = options.concurrency ?? 16;
  // The simulator's clock is frozen at the wall clock it started on, so the
  // session window below and the signing clock stay within the skew check.
  const sim = await startSimProcess({
    groups,
    serversPerGroup: perGroup,
    seed: options.seed ?? 42,
    args: ['--frozen'],
  });
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const startedAt = new Date().toISOString();
  try {
    const signer = {
      baseUrl: sim.url,
      ak: sim.ak,
      sk: sim.sk,
      projectId: sim.projectId,
      now: () => new Date(),
    };
    const v1 = `/v1/${sim.projectId}`;
    const send = async (path: string, query: Record<string, string | number>) => {
      const prepared = signRequest(signer, { path, query });
      const status = await get(agent, prepared.url, prepared.headers);
      if (status !== 200) throw new Error(`GET ${path} answered ${status}`);
    };

    const groupIds: string[] = [];
    for (let offset = 0; offset < Math.min(groups, 1000); offset += 100) {
      const prepared = signRequest(signer, {
        path: `${v1}/app-server-groups`,
        query: { offset, limit: 100 },
      });
      const body = await (await fetch(prepared.url, { headers: prepared.headers })).json();
      groupIds.push(...(body as { items: { id: string }[] }).items.map((g) => g.id));
    }
    const begin = new Date(Date.parse(startedAt) - 24 * 3600_000).toISOString();
    const call = (i: number): Promise<void> => {
      // 201 calls per 100 groups: their page, then two calls per group.
      const step = i % 201;
      const group = groupIds[(Math.floor(i / 201) * 100 + (step >> 1)) % groupIds.length] as string;
      if (step === 0) {
        return send(`${v1}/app-server-groups`, {
          offset: (Math.floor(i / 201) * 100) % groups,
          limit: 100,
        });
      }
      switch (step % 2) {
        case 1:
          return send(`${v1}/app-servers`, { server_group_id: group, limit: 100 });
        default:
          return send(`${v1}/session/list-sessions`, {
            app_server_group_id: group,
            query_begin_time: begin,
            query_end_time: startedAt,
            limit: 100,
          });
      }
    };
    const drive = async (count: number): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) await call(next++);
        }),
      );
      return (performance.now() - started) / 1000;
    };
    // Both processes need a couple of thousand calls before the JIT settles.
    await drive(2000);
    const seconds = await drive(total);
    return {
      name: 'simulator',
      requestsPerSecond: Math.round(total / seconds),
      loadSeconds: Math.round(sim.loadSeconds * 100) / 100,
      fleet: `${groups}x${perGroup}`,
    };
  } finally {
    agent.destroy();
    await sim.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(await runSimBench()));
}
