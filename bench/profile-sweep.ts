// Profiles the acting sweep of the first sweep line (bench/lib/sweep-bench.ts
// runIdealBench: 1,000 groups × 20, 20 ms a request, MAX_CONCURRENCY 16,
// drain on, remove-member): `node --import tsx bench/profile-sweep.ts
// [--groups N] [--quota]` runs it once with `--cpu-prof` on the bundled
// child (unminified, with a source map, so frames name our modules and the
// libraries), prints the line's phases against the ideal and writes the
// summary to bench/PROFILE.md ("## Acting sweep profile"); the raw profile
// stays in <tmpdir>/aps-autoscaler-profile/sweep-*/ (Chrome DevTools opens it).
// Run it inside `unshare -n` on a shared machine: the local cloud uses fixed ports.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ROOT } from './lib/bundle.ts';
import {
  type CpuProfile,
  firstSampleUnder,
  profileMarkdown,
  remapProfile,
  sliceProfile,
  summariseProfile,
} from './lib/cpu-profile-summary.ts';
import { startDeployedSweeps } from './lib/deployed-sweep.ts';
import { revision } from './lib/history.ts';
import { startSimProcess } from './lib/sim-process.ts';
import { runIdealBench } from './lib/sweep-bench.ts';
import { idealLine } from './lib/sweep-lines.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: { groups: { type: 'string', default: '1000' }, quota: { type: 'boolean' } },
  strict: true,
});
const fleet = { groups: Number(values.groups), serversPerGroup: 20, seed: 42 };
const HEADER = '## Acting sweep profile';
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(', ');

async function main(): Promise<void> {
  const loadBefore = load();
  const rev = revision(ROOT);
  const dir = join(tmpdir(), 'aps-autoscaler-profile', `sweep-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  const sim = await startSimProcess(fleet);
  const sweeps = await startDeployedSweeps({ forProfile: true });
  // Read by bench/lib/deployed-sweep.ts when it starts the child (after the simulator, which reads it too).
  process.env['BENCH_CPU_PROF_DIR'] = dir;
  try {
    const r = await runIdealBench(sweeps, sim, fleet, {
      latencyMs: 20,
      ...(values.quota ? { quota: true } : {}),
    });
    // One profile per thread; the main thread's is the largest.
    const profiles = join(dir, 'sweep');
    const [main] = readdirSync(profiles)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profiles, f))
      .sort((a, b) => statSync(b).size - statSync(a).size);
    if (main === undefined) throw new Error(`no profile written to ${dir}`);
    // The map sits beside the bundle, which close() removes: remap first.
    const profile = remapProfile(JSON.parse(readFileSync(main, 'utf8')) as CpuProfile, ROOT);
    const mapped = main.replace(/\.cpuprofile$/, '.mapped.cpuprofile');
    writeFileSync(mapped, JSON.stringify(profile));
    const summary = summariseProfile(profile, 30);
    const phases = phaseOwners(profile);
    const shown = idealLine(r, sweeps.settings).shown;
    const perRequest = r.cpu.clientMs / r.requests;
    const section = [
      HEADER,
      '',
      `\`node --import tsx bench/profile-sweep.ts --groups ${fleet.groups}${values.quota ? ' --quota' : ''}\` at ${rev.commit.slice(0, 7)}${rev.clean ? '' : ' + uncommitted changes'} on ${new Date().toISOString().slice(0, 16)}Z, load average ${loadBefore} before and ${load()} after (shared machine). The first sweep line (bench/lib/sweep-bench.ts runIdealBench${values.quota ? `, inside the CPU quota ${r.quota}` : ''}) with \`--cpu-prof\` on the bundled child, bundled unminified with a source map (frames mapped back to their modules by bench/lib/cpu-profile-summary.ts remapProfile); the profile covers the child's whole life (start-up and the 10 s drain wait, idle excluded). Raw profile: ${main.replace(tmpdir(), '<tmpdir>')} (mapped to the sources: ${mapped.replace(tmpdir(), '<tmpdir>')}).`,
      '',
      `Line: ${shown}`,
      '',
      `Client CPU ${(r.cpu.clientMs / 1000).toFixed(1)} s for ${r.requests} requests = ${perRequest.toFixed(2)} ms a request (process.cpuUsage of the handler, profiler on).`,
      '',
      phases,
      '',
      'The whole run:',
      '',
      profileMarkdown('Acting sweep, bundled handler', summary).replace(/^### .*\n\n/, ''),
    ].join('\n');
    writeSection(section);
    process.stdout.write(`${section}\n`);
  } finally {
    await sweeps.close();
    await sim.stop();
  }
  process.exit(0);
}

/**
/**
 * CPU of each phase by owner: evaluate (from the first listing page asked
 * for to the drain start), the drain start (eligibility, budgets, leases with
 * the drain records, batch-maint: to the first group settled) and act (the
 * rest). Split at the first sample under each marker function; async work of
 * one phase that runs later counts in the next. The evaluate mark is the APS
 * client's `paginate`, not `runSweep`: the sweep's synchronous start is
 * shorter than a sampling interval and its first sample can come late.
 */
function phaseOwners(profile: CpuProfile): string {
  const names = ['paginate', 'startDrainsUnderLease', 'settleGroup'];
  const marks = names.map((name) => firstSampleUnder(profile, name));
  const [start = -1, drain = -1, act = -1] = marks;
  if (marks.some((i) => i === -1))
    return `(phases not found: ${names.join(', ')} at ${marks.join(', ')})`;
  const rows = [
    ['evaluate', start, drain],
    ['drain start', drain, act],
    ['act', act, profile.samples.length],
  ] as const;
  const summaries = rows.map(([name, from, to]) => ({
    name,
    s: summariseProfile(sliceProfile(profile, from, to)),
  }));
  const owners = [...new Set(summaries.flatMap((p) => p.s.owners.map((o) => o.category)))];
  const cell = (p: (typeof summaries)[number], owner: string) => {
    const o = p.s.owners.find((x) => x.category === owner);
    return o === undefined ? '0' : `${o.ms.toFixed(0)} (${(o.share * 100).toFixed(0)} %)`;
  };
  return [
    'CPU by phase and owner, ms (share of the phase):',
    '',
    `| owner | ${summaries.map((p) => `${p.name} (${p.s.totalMs.toFixed(0)} ms)`).join(' | ')} |`,
    `| --- | ${summaries.map(() => '---:').join(' | ')} |`,
    ...owners.map((owner) => `| ${owner} | ${summaries.map((p) => cell(p, owner)).join(' | ')} |`),
  ].join('\n');
}

/** Replaces this script's section of bench/PROFILE.md (or appends it); the others are kept. */
function writeSection(section: string): void {
  const file = fileURLToPath(new URL('PROFILE.md', import.meta.url));
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(`\n${HEADER}\n`);
  if (start === -1) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + 1);
  writeFileSync(
    file,
    `${text.slice(0, start + 1)}${section}${next === -1 ? '' : `\n${text.slice(next + 1)}`}`,
  );
}

await main();
