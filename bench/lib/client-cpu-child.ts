// A client under measurement, in its own process: lists ECS server-group
// pages (following `page_info.next_marker`, pages of 100) through one of the
// clients below and prints the CPU it spent on them, start-up and warm-up
// excluded. Run by bench/lib/client-cpu.ts; argv: <mode> <json options>.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Pool } from 'undici';
import * as z from 'zod';
import { createHttpCore } from '../../lib/huawei/http.ts';

const CLIENT_MODES = ['floor', 'fetch', 'undici', 'ours-fetch', 'ours', 'official'] as const;
export type ClientMode = (typeof CLIENT_MODES)[number];

export interface ClientChildOptions {
  url: string;
  projectId: string;
  ak: string;
  sk: string;
  requests: number;
  warmup: number;
  concurrency: number;
}

export interface ClientChildResult {
  mode: ClientMode;
  requests: number;
  groups: number;
  cpuMs: number;
  wallMs: number;
  startupCpuMs: number;
}

/** The fields of ListServerGroupsResult (official SDK model); policies are an open set. */
const ServerGroupsPageSchema = z.object({
  server_groups: z.array(
    z.object({
      id: z.string().min(1),
      name: z.string(),
      members: z.array(z.string()),
      metadata: z.record(z.string(), z.string()),
      policies: z.array(z.string()),
    }),
  ),
  page_info: z.object({ next_marker: z.string().optional() }).optional(),
});
type Page = {
  server_groups: unknown[];
  page_info?: { next_marker?: string | undefined } | undefined;
};

/** Fetches one page after `marker`; resolves with the group count and the next marker. */
type PageFn = (marker: string | undefined) => Promise<{ n: number; next: string | undefined }>;

const PAGE_PATH = (projectId: string) => `/v1/${projectId}/cloudservers/os-server-groups`;
const query = (marker: string | undefined) =>
  marker === undefined ? 'limit=100' : `limit=100&marker=${encodeURIComponent(marker)}`;
const summary = (page: Page) => ({
  n: page.server_groups.length,
  next: page.page_info?.next_marker,
});

async function makePageFn(mode: ClientMode, o: ClientChildOptions): Promise<PageFn> {
  const path = PAGE_PATH(o.projectId);
  switch (mode) {
    case 'floor': {
      const agent = new HttpAgent({ keepAlive: true });
      return (marker) =>
        new Promise((resolve, reject) => {
          const req = httpRequest(`${o.url}${path}?${query(marker)}`, { agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.once('error', reject);
            res.once('end', () =>
              resolve(summary(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Page)),
            );
          });
          req.once('error', reject);
          req.end();
        });
    }
    case 'fetch':
      return async (marker) => {
        const res = await fetch(`${o.url}${path}?${query(marker)}`);
        return summary(JSON.parse(await res.text()) as Page);
      };
    case 'undici': {
      const pool = new Pool(o.url);
      return async (marker) => {
        const res = await pool.request({ method: 'GET', path: `${path}?${query(marker)}` });
        return summary(JSON.parse(await res.body.text()) as Page);
      };
    }
    case 'ours-fetch':
    case 'ours': {
      const http = createHttpCore({
        credentials: { ak: o.ak, sk: o.sk },
        projectId: o.projectId,
        timeoutMs: 30_000,
        // `ours` is the default transport the functions ship with (node:http, lib/huawei/transport.ts).
        ...(mode === 'ours-fetch' ? { fetch: globalThis.fetch } : {}),
      });
      return async (marker) => {
        const { data } = await http.request({
          method: 'GET',
          baseUrl: o.url,
          path,
          query: { limit: 100, marker },
          schema: ServerGroupsPageSchema,
        });
        if (data === undefined) throw new Error('empty page');
        return summary(data);
      };
    }
    case 'official': {
      const core = await import('@huaweicloud/huaweicloud-sdk-core');
      const ecs = await import('@huaweicloud/huaweicloud-sdk-ecs');
      const credentials = new core.BasicCredentials()
        .withAk(o.ak)
        .withSk(o.sk)
        .withProjectId(o.projectId);
      const client = ecs.EcsClient.newBuilder()
        .withCredential(credentials)
        .withEndpoint(o.url)
        .build();
      return async (marker) => {
        const req = new ecs.ListServerGroupsRequest().withLimit(100);
        if (marker !== undefined) req.withMarker(marker);
        const res = (await client.listServerGroups(req)) as unknown as {
          serverGroups?: unknown[];
          server_groups?: unknown[];
          pageInfo?: { nextMarker?: string; next_marker?: string };
          page_info?: { nextMarker?: string; next_marker?: string };
        };
        const groups = res.serverGroups ?? res.server_groups ?? [];
        const info = res.pageInfo ?? res.page_info;
        return { n: groups.length, next: info?.nextMarker ?? info?.next_marker };
      };
    }
  }
}

/** `count` requests over `concurrency` workers, each following its own chain of markers. */
async function drive(page: PageFn, count: number, concurrency: number): Promise<number> {
  let issued = 0;
  let groups = 0;
  const worker = async () => {
    let marker: string | undefined;
    while (issued < count) {
      issued += 1;
      const r = await page(marker);
      groups += r.n;
      marker = r.next;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return groups;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function main(): Promise<void> {
  const mode = process.argv[2] as ClientMode;
  if (!CLIENT_MODES.includes(mode)) throw new Error(`unknown mode ${mode}`);
  const o = JSON.parse(process.argv[3] ?? '{}') as ClientChildOptions;
  const page = await makePageFn(mode, o);
  await drive(page, o.warmup, Math.min(o.concurrency, Math.max(1, o.warmup)));
  const startupCpuMs = cpuMs();
  const started = performance.now();
  const groups = await drive(page, o.requests, o.concurrency);
  const result: ClientChildResult = {
    mode,
    requests: o.requests,
    groups,
    cpuMs: cpuMs() - startupCpuMs,
    wallMs: performance.now() - started,
    startupCpuMs,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

await main();
