// One client replaying the sweep's recorded request mix, in its own process:
// `floor` (bare node:http keep-alive + JSON.parse) or `ours` (lib/huawei/http.ts
// on its default transport, signing and validating with the schema the real
// client uses for that route). Prints the CPU it spent on the measured
// requests, start-up and warm-up excluded. Run by bench/lib/client-mix.ts;
// argv: <mode> <json options>.
import { readFileSync, writeFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Session } from 'node:inspector/promises';
import type * as z from 'zod';
import { createHttpCore, type HttpMethod } from '../../lib/huawei/http.ts';
import {
  AppServerSchema,
  BatchMaintResponseSchema,
  EcsActionResponseSchema,
  JobResponseSchema,
  JobSchema,
  ListAppServersResponseSchema,
  ListEcsServerGroupsResponseSchema,
  ListServerGroupsResponseSchema,
  ListSessionsResponseSchema,
  ServerGroupSchema,
  ShowEcsServerGroupResponseSchema,
} from '../../lib/huawei/schemas.ts';
import type { RouteKey } from '../../sim/route-table.ts';

/** One request of the recorded sweep, as sent. */
export interface RecordedRequest {
  method: string;
  /** Path and query as sent. */
  path: string;
  body: string;
  route: RouteKey | null;
}

export interface MixChildOptions {
  url: string;
  projectId: string;
  ak: string;
  sk: string;
  /** JSON file holding the RecordedRequest[] to replay, in order. */
  file: string;
  warmup: number;
  /** When set, the measured pass runs under the V8 profiler and its .cpuprofile is written here. */
  profileFile?: string;
}

export interface MixChildResult {
  mode: 'floor' | 'ours';
  requests: number;
  cpuMs: number;
  wallMs: number;
}

/** The schema each route's answer is checked with by lib/huawei/aps-client.ts and ecs-client.ts. */
const SCHEMAS: Partial<Record<RouteKey, z.ZodType>> = {
  listServerGroups: ListServerGroupsResponseSchema,
  getServerGroup: ServerGroupSchema,
  listAppServers: ListAppServersResponseSchema,
  getAppServer: AppServerSchema,
  listSessions: ListSessionsResponseSchema,
  deleteAppServer: JobResponseSchema.optional(),
  batchDeleteAppServers: JobResponseSchema.optional(),
  batchMaint: BatchMaintResponseSchema,
  getJob: JobSchema,
  ecsAction: EcsActionResponseSchema,
  showEcsServerGroup: ShowEcsServerGroupResponseSchema,
  listEcsServerGroups: ListEcsServerGroupsResponseSchema,
};

type Send = (r: RecordedRequest) => Promise<unknown>;

function floor(o: MixChildOptions): Send {
  const agent = new HttpAgent({ keepAlive: true });
  return (r) =>
    new Promise((resolve, reject) => {
      const req = httpRequest(`${o.url}${r.path}`, { agent, method: r.method }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', reject);
        res.once('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve(text === '' ? undefined : JSON.parse(text));
        });
      });
      req.once('error', reject);
      req.end(r.body === '' ? undefined : r.body);
    });
}

function ours(o: MixChildOptions, requests: readonly RecordedRequest[]): Send {
  const http = createHttpCore({
    credentials: { ak: o.ak, sk: o.sk },
    projectId: o.projectId,
    timeoutMs: 30_000,
  });
  // Split before anything is measured: the real clients hold path and query as values already.
  const split = new Map<
    RecordedRequest,
    { path: string; query: Record<string, string[]>; body: unknown }
  >();
  for (const r of requests) {
    const q = r.path.indexOf('?');
    const query: Record<string, string[]> = {};
    for (const [k, v] of new URLSearchParams(q === -1 ? '' : r.path.slice(q + 1))) {
      query[k] = [...(query[k] ?? []), v];
    }
    split.set(r, {
      path: decodeURIComponent(q === -1 ? r.path : r.path.slice(0, q)),
      query,
      body: r.body === '' ? undefined : JSON.parse(r.body),
    });
  }
  return async (r) => {
    const parts = split.get(r);
    if (parts === undefined) throw new Error('request not prepared');
    const schema = r.route === null ? undefined : SCHEMAS[r.route];
    const { data } = await http.request({
      method: r.method as HttpMethod,
      baseUrl: o.url,
      path: parts.path,
      query: parts.query,
      ...(parts.body === undefined ? {} : { body: parts.body }),
      ...(schema === undefined ? {} : { schema }),
    });
    return data;
  };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const mode = process.argv[2];
  if (mode !== 'floor' && mode !== 'ours') throw new Error(`unknown mode ${mode}`);
  const o = JSON.parse(process.argv[3] ?? '{}') as MixChildOptions;
  const requests = JSON.parse(readFileSync(o.file, 'utf8')) as RecordedRequest[];
  const send = mode === 'floor' ? floor(o) : ours(o, requests);
  // Warm-up: the first requests of the mix (the replay server answers each key's recordings in a cycle).
  for (const r of requests.slice(0, o.warmup)) await send(r);
  const session = o.profileFile === undefined ? undefined : new Session();
  if (session !== undefined) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
  }
  const before = cpuMs();
  const started = performance.now();
  for (const r of requests) await send(r);
  if (session !== undefined && o.profileFile !== undefined) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(o.profileFile, JSON.stringify(profile));
    session.disconnect();
  }
  const result: MixChildResult = {
    mode,
    requests: requests.length,
    cpuMs: cpuMs() - before,
    wallMs: performance.now() - started,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
