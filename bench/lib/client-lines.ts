import type { ClientCpuBenchOptions, ClientCpuBenchResult, ClientRun } from './client-cpu.ts';
import { type BenchLine, line, round } from './lines.ts';

const ms = (n: number) => n.toFixed(2);
const s = (n: number) => `${(n / 1000).toFixed(1)} s`;

/**
 * The side-by-side lines from one {@link runClientCpuBench} run: ours against
 * the official SDK. The floor, fetch and bare undici are shown for scale; the
 * client-CPU-against-the-floor target is retired (issue 21).
 */
export function clientLines(r: ClientCpuBenchResult, o: ClientCpuBenchOptions): BenchLine[] {
  const c = r.cpu;
  const per = (x: ClientRun) => x.cpuPerRequestMs;
  const server = `a local node:http server answering ECS GET /v1/{project_id}/cloudservers/os-server-groups?limit=100&marker=… with pre-built ${Math.round(r.pageBytes / 1024)} KB pages of 100 groups (ListServerGroupsResponse shape; signatures not checked), bench/lib/server-group-pages.ts`;
  const cpuInputs = `${o.requests} sequential requests per client, each client in a fresh node (bench/lib/client-cpu-child.ts), CPU = the child's process.cpuUsage over the measured requests (start-up and ${o.warmup} warm-up requests excluded); ${server}`;
  const scale = `for scale: node:http keep-alive + JSON.parse ${ms(per(c.floor))}, fetch + JSON.parse ${ms(per(c.fetch))}, undici + JSON.parse ${ms(per(c.undici))}, ours over fetch ${ms(per(c['ours-fetch']))} ms CPU/request`;
  const ours = c.ours;
  return [
    line({
      name: 'side by side: official SDK CPU per request ÷ ours',
      inputs: `${cpuInputs}; ours = lib/huawei/http.ts (signing + zod) over its default transport (node:http, lib/huawei/transport.ts); theirs = @huaweicloud/huaweicloud-sdk-ecs EcsClient.listServerGroups (sdk-core AKSK signing), the same requests`,
      value: round(per(c.official) / per(ours)),
      unit: 'ratio',
      shown: `${(per(c.official) / per(ours)).toFixed(2)} (${ms(per(c.official))} vs ${ms(per(ours))} ms; ${scale})`,
      target: { op: '>=', value: 2 },
      details: { cpu: c },
    }),
    line({
      name: `side by side: wall at concurrency ${o.concurrency}, ours ÷ official SDK`,
      inputs: `${o.requests} requests over ${o.concurrency} concurrent marker chains, ${o.latencyMs} ms added per answer by the server; ${server}`,
      value: round(r.wall.ours.wallMs / r.wall.official.wallMs),
      unit: 'ratio',
      shown: `${(r.wall.ours.wallMs / r.wall.official.wallMs).toFixed(2)} (${s(r.wall.ours.wallMs)} vs ${s(r.wall.official.wallMs)}; CPU/request ${ms(per(r.wall.ours))} vs ${ms(per(r.wall.official))} ms)`,
      target: { op: '<=', value: 1 },
      details: { wall: r.wall },
    }),
  ];
}
