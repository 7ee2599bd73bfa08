import type { ClientCpuBenchOptions, ClientCpuBenchResult, ClientRun } from './client-cpu.ts';
import { type BenchLine, line, round } from './lines.ts';

const ms = (n: number) => n.toFixed(2);
const s = (n: number) => `${(n / 1000).toFixed(1)} s`;

/** The side-by-side lines of issue 12 from one {@link runClientCpuBench} run. */
export function clientLines(r: ClientCpuBenchResult, o: ClientCpuBenchOptions): BenchLine[] {
  const c = r.cpu;
  const per = (x: ClientRun) => x.cpuPerRequestMs;
  const server = `a local node:http server answering ECS GET /v1/{project_id}/cloudservers/os-server-groups?limit=100&marker=… with pre-built ${Math.round(r.pageBytes / 1024)} KB pages of 100 groups (ListServerGroupsResponse shape; signatures not checked), bench/lib/server-group-pages.ts`;
  const cpuInputs = `${o.requests} sequential requests per client, each client in a fresh node (bench/lib/client-cpu-child.ts), CPU = the child's process.cpuUsage over the measured requests (start-up and ${o.warmup} warm-up requests excluded); ${server}`;
  const breakdown = `floor (node:http keep-alive + JSON.parse) ${ms(per(c.floor))}, fetch + JSON.parse ${ms(per(c.fetch))}, undici Pool + JSON.parse ${ms(per(c.undici))}, ours over fetch ${ms(per(c['ours-fetch']))}, ours over undici ${ms(per(c['ours-undici']))}, ours over its default transport (HTTP/1.1 over sockets) ${ms(per(c.ours))}, official SDK ${ms(per(c.official))} ms CPU/request`;
  const ours = c.ours;
  const lines: BenchLine[] = [
    line({
      name: 'client CPU per request ÷ the floor',
      inputs: `${cpuInputs}; ours = lib/huawei/http.ts (signing + zod) over its default transport (HTTP/1.1 keep-alive over sockets, lib/huawei/http1-transport.ts)`,
      value: round(per(ours) / per(c.floor)),
      unit: 'ratio',
      shown: `${(per(ours) / per(c.floor)).toFixed(2)} (${breakdown})`,
      target: { op: '<=', value: 1.3 },
      details: { cpu: c },
    }),
    line({
      name: 'side by side: official SDK CPU per request ÷ ours',
      inputs: `${cpuInputs}; theirs = @huaweicloud/huaweicloud-sdk-ecs EcsClient.listServerGroups (sdk-core AKSK signing), the same requests`,
      value: round(per(c.official) / per(ours)),
      unit: 'ratio',
      shown: `${(per(c.official) / per(ours)).toFixed(2)} (${ms(per(c.official))} vs ${ms(per(ours))} ms; over fetch ours was ${ms(per(c['ours-fetch']))} ms = ${(per(c.official) / per(c['ours-fetch'])).toFixed(2)}×)`,
      target: { op: '>=', value: 2.5 },
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
  const q = r.quota;
  // What the bare floor (node:http + JSON.parse, no signing, no checks) would need on the same share.
  const floorMs = q.idealMs + (per(c.floor) * o.requests) / q.share;
  const idealNote = `ideal ${s(q.idealMs)} = ⌈${o.requests} ÷ ${o.concurrency}⌉ × ${o.latencyMs} ms; formula estimate = ideal + client CPU ÷ ${q.share} = ${s(q.estimateMs)}; the floor's CPU alone would give ${(floorMs / q.idealMs).toFixed(2)} × ideal by the same formula`;
  lines.push(
    'ours' in q
      ? line({
          name: `client on a ${q.share}-core budget: wall ÷ ideal`,
          inputs: `ours on its default transport as in the line above, the child process inside a CPU quota (${q.describe}); ${server}`,
          value: round(q.ours.wallMs / q.idealMs),
          unit: 'ratio',
          shown: `${(q.ours.wallMs / q.idealMs).toFixed(2)} (wall ${s(q.ours.wallMs)} under the quota; ${idealNote} = ${(q.estimateMs / q.idealMs).toFixed(2)} × ideal)`,
          target: { op: '<=', value: 1.5 },
          details: { quota: q },
        })
      : line({
          name: `client on a ${q.share}-core budget: wall ÷ ideal (formula; no CPU quota here)`,
          inputs: `no cgroup could be made (${q.unavailable}); ${idealNote}`,
          value: round(q.estimateMs / q.idealMs),
          unit: 'ratio',
          shown: `${(q.estimateMs / q.idealMs).toFixed(2)} (${idealNote})`,
          target: { op: '<=', value: 1.5 },
          details: { quota: q },
        }),
  );
  return lines;
}
