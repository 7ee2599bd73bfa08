// Profiles the client side of signed APS listings against the simulator:
// `node --import tsx bench/profile-client.ts [--requests N]` runs the same
// workload (pages of 100 servers and of sessions, one group after another)
// over the built-in fetch and the default transport (node:http), profiling only the
// measured requests (node:inspector, the same V8 sampler as `node --cpu-prof`),
// and writes the top frames to bench/PROFILE.md and the raw profiles to
// <tmpdir>/aps-autoscaler-profile/.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createApsClient } from '../lib/huawei/aps-client.ts';
import { createHttpCore } from '../lib/huawei/http.ts';
import { type CpuProfile, profileMarkdown, summariseProfile } from './lib/cpu-profile-summary.ts';
import { startSimProcess } from './lib/sim-process.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { requests: { type: 'string', default: '2000' } },
  strict: true,
});
const REQUESTS = Number(values.requests);
const GROUPS = 50;
const HERE = fileURLToPath(new URL('.', import.meta.url));
const RAW = join(tmpdir(), 'aps-autoscaler-profile');

type Transport = 'fetch' | 'default';

const TRANSPORT_NAMES: Record<Transport, string> = {
  fetch: 'the built-in fetch',
  default: 'node:http(s) keep-alive agents (lib/huawei/transport.ts, the default)',
};

async function main(): Promise<void> {
  const sim = await startSimProcess({ groups: GROUPS, serversPerGroup: 100, seed: 42 });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const sections: string[] = [];
  try {
    const groupIds: string[] = [];
    const probe = createApsClient({
      http: createHttpCore({
        credentials: { ak: sim.ak, sk: sim.sk },
        projectId: sim.projectId,
        timeoutMs: 30_000,
      }),
      endpoint: sim.url,
      projectId: sim.projectId,
    });
    for await (const g of probe.listServerGroups()) groupIds.push(g.id);
    for (const transport of ['fetch', 'default'] as Transport[]) {
      const http = createHttpCore({
        credentials: { ak: sim.ak, sk: sim.sk },
        projectId: sim.projectId,
        timeoutMs: 30_000,
        // The default transport unless fetch is named.
        ...(transport === 'fetch' ? { fetch: globalThis.fetch } : {}),
      });
      const aps = createApsClient({ http, endpoint: sim.url, projectId: sim.projectId });
      const end = new Date();
      const begin = new Date(end.getTime() - 24 * 3600_000);
      const round = async (requests: number) => {
        let servers = 0;
        for (let i = 0; http.stats.requests < requests; i += 1) {
          const serverGroupId = groupIds[i % groupIds.length];
          servers += (await aps.listServers({ serverGroupId })).length;
          servers += (await aps.listSessions({ serverGroupId, begin, end })).length;
        }
        return servers;
      };
      await round(200);
      const before = http.stats.requests;
      const cpu0 = process.cpuUsage();
      await session.post('Profiler.start');
      const items = await round(before + REQUESTS);
      const { profile } = await session.post('Profiler.stop');
      const cpu = process.cpuUsage(cpu0);
      const requests = http.stats.requests - before;
      mkdirSync(RAW, { recursive: true });
      writeFileSync(join(RAW, `client-${transport}.cpuprofile`), JSON.stringify(profile));
      const summary = summariseProfile(profile as unknown as CpuProfile);
      const perRequest = (cpu.user + cpu.system) / 1000 / requests;
      sections.push(
        profileMarkdown(
          `createApsClient over ${TRANSPORT_NAMES[transport]}: ${requests} requests, ${perRequest.toFixed(2)} ms CPU each (process.cpuUsage, profiler on), ${items} items`,
          summary,
        ),
      );
      process.stderr.write(`profile ${transport}: ${perRequest.toFixed(3)} ms CPU/request\n`);
    }
  } finally {
    session.disconnect();
    await sim.stop();
  }
  const load = loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');
  // The hand-written sections (`## …`) after the generated profiles are kept.
  const file = join(HERE, 'PROFILE.md');
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = existing.indexOf('\n## ');
  writeFileSync(
    file,
    [
      '# Client CPU profile',
      '',
      `\`node --import tsx bench/profile-client.ts --requests ${REQUESTS}\` on ${new Date().toISOString().slice(0, 16)}Z, load average ${load} (shared machine). Simulator in a child process (${GROUPS} groups × 100 servers, seed 42); the client lists each group's servers and its last 24 h of sessions (pages of 100), one request at a time, signed and validated by lib/huawei/http.ts. Sampled every 100 µs, measured requests only (200 warm-up requests first). Raw profiles: <tmpdir>/aps-autoscaler-profile/*.cpuprofile (open in Chrome DevTools). Reading the tables: interpret (lib/huawei/http.ts) is mostly JSON.parse, which V8 runs inline in its caller; native writeLatin1String is the socket write of the request (on a busy machine the process often loses the CPU inside it); other includes timers, promises and TextDecoder.`,
      '',
      ...sections,
      ...(kept === -1 ? [] : [existing.slice(kept + 1)]),
    ].join('\n'),
  );
  process.exit(0);
}

await main();
