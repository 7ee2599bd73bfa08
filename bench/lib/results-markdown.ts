import type { BenchLine, Machine } from './lines.ts';

/** How each line is measured: the paragraphs under the table of every RESULTS.md (bench/run.ts writes it). */
export const HOW_MEASURED: readonly string[] = [
  "- **deployed defaults**: every sweep line runs what is deployed unless its name says otherwise (bench/lib/deployed-sweep.ts): the sweep handler bundled as serverless.yml bundles it, in a fresh node with the heap flags Lambda gives the function's memorySize, acting, drain on (DRAIN_SECONDS=10 instead of 120, drain records in a local DynamoDB: the wait adds time, not memory), REMOVAL_MODE remove-member; the line that claims a Lambda figure runs inside a cgroup CPU quota of memorySize ÷ 1,769 of a core. The throttling line is a dry run and the fanout lines run dry-run workers in-process: their names say so.",
  "- **ideal** = evaluate + drain + act, built from the **minimum** requests (below), not from the client's own count: evaluate = max(depth × L, listing requests × L ÷ C) with depth = the group-listing pages, then one group's listing pages; drain = max(L, batch-maint calls × L ÷ C) + DRAIN_SECONDS; act = max(2 × the most removals in one group × L, (re-reads + removals + group re-reads + maintenance lifts) × L ÷ C), because one group's removals run one after another (a re-read, then the removal) and acting waits for every evaluation (the sweep cap needs all decisions: the evaluate→act barrier). L the latency the simulator adds, C = MAX_CONCURRENCY. **Where it is still optimistic**: CPU (client, DynamoDB and simulator) counts as free; each phase assumes its slots are packed perfectly; the listing of a group's sessions is assumed to start with its servers'; the simulator's own time per request beyond L is not counted. Each sweep runs in a fresh node (cold JIT, like a Lambda cold start) against the simulator in a child process on the same machine.",
  "- **minimum requests** come from the generated fleet's own records (bench/lib/fleet-minimum.ts), not from our client: ⌈groups ÷ 100⌉ pages of groups; a group its own record skips (protect tag, server_group_status false, policy off or invalid) needs its server pages only, to name each server on the report with the skip (no session history); a group whose members alone put it at or over its threshold needs its server pages only (no session history); any other ⌈servers ÷ 100⌉ + ⌈sessions in 24 h ÷ 100⌉ pages (at least one each); + 2 per removal the rules allow; with the drain, the re-check of each acting group after the wait (its record, members and sessions: 3 reads; the drain start reads nothing more when no other actor held the group since its listing, lib/removal/lease/plan-still-good.ts) and ⌈n ÷ 20⌉ batch-maint calls each way for the project's n drained servers (batch-maint takes any of a project's servers); in release mode ⌈n ÷ 20⌉ batch-delete calls per group instead of one remove_member per server. Those removals come from a second, plain reading of the rules in that file (no lib/scaling import): what it shares with the client is the fleet and the rules as README.md states them; test/unit/bench/fleet-minimum.test.ts checks the two readings agree group by group. A client that lists what it need not shows a ratio above 1.00; the line is met only if the simulator's log and its removals agree with the report and the expected removals.",
  '- **throttling use** = requests accepted on the busiest route ÷ (burst + rate × the time from its first to its last request); 1.00 would be every token used. That sweep is a dry run, so the throttled listing routes are busy from its start to its end.',
  "- **cold start**: bundle against bundle. Our handlers and bench/lib/sdk-shell.ts (the same middy + Powertools shell around the official `@huaweicloud/huaweicloud-sdk-core` + `-ecs`) are bundled with the same esbuild settings, each `require`d in a fresh `node`, timed inside with `process.hrtime`, alternating, median. After the load the child times the SQS client's first use (`@aws-sdk/client-sqs` is external: the Lambda runtime provides it, and our handlers import it lazily), and the ratio counts it on both sides, as the invocation that first sends to SQS pays it. sdk-core 3.1.211 needs `uuid` without declaring it, so its bundle resolves a stand-in on `crypto.randomUUID` (the real package would cost it more, not less).",
  "- **client side by side** (bench/lib/client-cpu.ts): ours (lib/huawei/http.ts over its default transport, node:http) and the official `@huaweicloud/huaweicloud-sdk-ecs` list the same pre-built 100-group ECS server-group pages from one local server, each in a fresh node; CPU per request = the child's `process.cpuUsage` over the measured requests only. Bare node:http, fetch and undici with JSON.parse are shown for scale; the target of client CPU against that floor is retired (issue 21).",
  '- **memory**: peak RSS (`process.resourceUsage().maxRSS`) of a fresh `node` running the bundled sweep handler, simulator in another process. The main lines are the **acting** sweep with the drain on (DRY_RUN false: it holds what each removal needs, drains, re-reads and removes); the dry run is a second, labelled line.',
  '- **commit, history, spread**: every run records the commit it measured and whether the tree was clean (results.json `commit`, `clean`, and the first line here), and appends its values to `history` in results.json. A line whose target lies inside the spread of its own history (same name and inputs, at least two runs) is shown as "within spread" instead of met or missed: the difference is noise.',
];

/** What RESULTS.md's first line names: the run, the machine and its load, what was measured and how long each part took. */
export interface RunRecord {
  command: string;
  timestamp: string;
  machine: Machine & { loadAverage: { before: number[]; after: number[] } };
  sizes: Record<string, unknown>;
  commit: string;
  clean: boolean;
  durationSeconds: number;
  /** Seconds each part took, in the order they ran. */
  parts: Record<string, number>;
}

/** `name N s, …`: the parts of a run in the order they ran. */
function describeParts(parts: Record<string, number>): string {
  return Object.entries(parts)
    .map(([name, s]) => `${name} ${s} s`)
    .join(', ');
}

function describeSizes(sizes: Record<string, unknown>): string {
  return Object.entries(sizes)
    .map(([k, v]) => `${k} ${JSON.stringify(v)}`)
    .join(', ');
}

/** RESULTS.md: the run in one line, the table, how each line is measured, then each line's appendix. */
export function resultsMarkdown(
  run: RunRecord,
  lines: readonly BenchLine[],
  table: string,
  counted: { met: number; noisy: number },
): string {
  const { machine: host, commit, clean, durationSeconds } = run;
  const { met, noisy } = counted;
  return [
    `Measured with \`${run.command}\` on ${run.timestamp.slice(0, 10)}: ${host.os}, ${host.cpus} × ${host.cpuModel}, Node ${host.node}, load average ${host.loadAverage.before[0]} at the start and ${host.loadAverage.after[0]} at the end (the machine is shared); sizes: ${describeSizes(run.sizes)}; commit ${commit}${clean ? '' : ' with uncommitted changes'}; ${durationSeconds} s in all (${describeParts(run.parts)}); ${met} of ${lines.length} targets met${noisy > 0 ? `, ${noisy} within the run-to-run spread of their history (neither met nor missed)` : ''}.`,
    '',
    table,
    '',
    'How each line is measured (bench/run.ts and bench/lib/):',
    '',
    ...HOW_MEASURED,
    '',
    ...lines.flatMap((l) => (l.appendix === undefined ? [] : [l.appendix, ''])),
  ].join('\n');
}
