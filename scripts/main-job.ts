import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { FinishedSweepReport } from '../lib/finish-sweep.ts';
import { HISTORY_PAGE, localPageCopies } from '../lib/history/page-link.ts';
import { HISTORY_PREFIX } from '../lib/history/store.ts';
import { pageKeyOf } from '../lib/report-store.ts';
import type { SweepReport } from '../lib/sweep/report.ts';
import { armDrainRace } from '../sim/maintenance.ts';
import type { Simulator } from '../sim/server.ts';
import { countsTable } from './lib/counts-table.ts';
import { decisionRows, table } from './lib/decision-table.ts';
import { invokeLocal } from './lib/invoke-local.ts';
import { startLocalCloud } from './lib/local-cloud.ts';
import { type LocalS3, localS3Client } from './lib/local-s3.ts';

// The main job: the demo fleet on the local cloud `npm run sim` starts (on
// free ports), the sweep through `osls invoke local`, then the fanout path
// end to end.

const REPORTS = new URL('../.reports/', import.meta.url).pathname;
// A user connects to this server while it drains: its drain must be undone.
const RACED_SERVER = 'srv-fl-idle-a';

/** Reads objects back from the local S3 server: proof they were written there. */
async function readKept(s3: LocalS3, keys: readonly string[]): Promise<string[]> {
  const client = localS3Client(s3.endpoint);
  try {
    const read = async (k: string) => {
      const answer = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: k }));
      return (await answer.Body?.transformToString()) ?? '';
    };
    return await Promise.all(keys.map(read));
  } finally {
    client.destroy();
  }
}

/** Each group's member server ids, from the simulator's state. */
function membersOf(sim: Simulator): Map<string, string[]> {
  const groups = sim.state.snapshot(sim.now().getTime()).groups as { id: string }[];
  return new Map(
    groups.map((g) => [
      g.id,
      sim.state
        .membersOf(g.id)
        .map((s) => s.id)
        .sort(),
    ]),
  );
}

async function main(): Promise<void> {
  mkdirSync(REPORTS, { recursive: true });
  const cloud = await startLocalCloud({ sim: { clock: { now: 'real', rebase: true } } });
  const { sim, sqs, s3, env } = cloud;
  try {
    const before = membersOf(sim);
    console.log('aps-autoscaler main job on the built-in simulator');
    console.log(
      `simulator ${sim.url} (demo fleet: ${before.size} groups), local SQS ${sqs.endpoint}, local S3 ${s3.endpoint}\n`,
    );

    console.log(
      `Each chosen server is put into maintenance first and removed only if still idle after the drain period\n` +
        `(DRAIN_SECONDS=10 in the local stage); a user connects to ${RACED_SERVER} while it drains.\n`,
    );
    console.log(
      '1) inline sweep: osls invoke local -f sweep --stage local --path events/schedule.json',
    );
    armDrainRace(sim.state, [RACED_SERVER]);
    const inline = await invokeLocal({ fn: 'sweep', event: 'events/schedule.json', env });
    const report = inline.result as FinishedSweepReport | undefined;
    if (report?.kind !== 'sweep')
      throw new Error(`sweep returned no report:\n${inline.stderr || inline.stdout}`);
    writeFileSync(`${REPORTS}sweep-inline.json`, `${JSON.stringify(report, null, 2)}\n`);
    console.log(table(decisionRows(report.groups)));
    console.log(`\n${countsTable(report.counts)}`);
    console.log(`\nsummary: ${report.summary}`);
    if (report.reportKey === undefined) throw new Error('the sweep kept no report in S3');
    const [json = '', html = ''] = await readKept(s3, [
      report.reportKey,
      pageKeyOf(report.reportKey),
    ]);
    console.log(
      `report in local S3: s3://${s3.bucket}/${report.reportKey} (${json.length} bytes) and ${pageKeyOf(report.reportKey)} (${html.length} bytes)`,
    );
    // The page links to the history page the weekly recommend writes: run it once, so the link opens.
    const recommend = await invokeLocal({ fn: 'recommend', event: {}, env });
    if (recommend.exitCode !== 0) throw new Error(`recommend failed:\n${recommend.stderr}`);
    const [history = ''] = await readKept(s3, [`${HISTORY_PREFIX}${HISTORY_PAGE}`]);
    // The local S3 is gone on exit: keep the pages where a person can open them, linked as in the bucket.
    const pageKey = pageKeyOf(report.reportKey);
    for (const [file, body] of localPageCopies({ html, pageKey }, 'sweep-inline.html', history)) {
      mkdirSync(dirname(`${REPORTS}${file}`), { recursive: true });
      writeFileSync(`${REPORTS}${file}`, body);
    }
    console.log(
      `page: ${relative(process.cwd(), `${REPORTS}sweep-inline.html`)} (open it in a browser)`,
    );
    console.log(
      `${report.requests.requests} requests, ${report.requests.retries} retries, ${report.durationMs} ms · copy: .reports/sweep-inline.json · ${inline.logs.length} audit/log lines\n`,
    );
    const ecsActions = sim.calls.filter((c) => c.route === 'ecsAction');
    console.log(
      `ECS calls: ${ecsActions.map((c) => `${c.method} ${c.path} → ${c.status}`).join('; ') || 'none'}\n`,
    );
    const afterInline = membersOf(sim);

    console.log('2) fanout: sweep (SWEEP_MODE=fanout) → SQS → remediate');
    sim.reset();
    armDrainRace(sim.state, [RACED_SERVER]);
    const fanout = await invokeLocal({
      fn: 'sweep',
      event: 'events/schedule.json',
      env: { ...env, SWEEP_MODE: 'fanout' },
    });
    const fanoutReport = fanout.result as SweepReport | undefined;
    if (fanoutReport?.kind !== 'sweep')
      throw new Error(`fanout sweep returned no report:\n${fanout.stderr}`);
    console.log(`sweep enqueued ${fanoutReport.enqueued?.sent ?? 0} evaluate-group messages`);
    const processed: unknown[] = [];
    // finish-removal messages wait out the drain period (SQS DelaySeconds) before they show.
    let pendingFinish = 0;
    for (let round = 1, idle = 0; round <= 40; round++) {
      const messages = await sqs.receive(sqs.remediationQueueUrl, 10, 120);
      if (messages.length === 0) {
        if (pendingFinish <= 0 || ++idle > 60) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        round--;
        continue;
      }
      idle = 0;
      const event = {
        Records: messages.map((m) => ({
          messageId: m.messageId,
          receiptHandle: m.receiptHandle,
          body: m.body,
          attributes: {},
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:aps-autoscaler-remediation',
          awsRegion: 'us-east-1',
        })),
      };
      const batch = await invokeLocal({ fn: 'remediate', event, env });
      const response = batch.result as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      if (response?.batchItemFailures === undefined)
        throw new Error(`remediate failed:\n${batch.stderr}`);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      await sqs.delete(
        sqs.remediationQueueUrl,
        messages.filter((m) => !failed.has(m.messageId)).map((m) => m.receiptHandle),
      );
      const records = batch.logs.filter((l) => l['message'] === 'record processed');
      processed.push(...records);
      console.log(`remediate batch ${round}: ${messages.length} records, ${failed.size} to retry`);
      for (const r of records) {
        if (r['type'] === 'finish-removal') {
          pendingFinish--;
          const what =
            r['outcome'] === 'drain-undone'
              ? `drain undone: ${String(r['detail'])}`
              : String(r['outcome'] ?? r['status']);
          console.log(
            `  ${String(r['serverGroupId']).padEnd(18)} finish    ${r['serverId']} ${what}`,
          );
          continue;
        }
        const draining = (r['draining'] as string[] | undefined) ?? [];
        pendingFinish += draining.length;
        const removals =
          (r['removals'] as { serverId: string; outcome: string }[] | undefined) ?? [];
        console.log(
          `  ${String(r['serverGroupId']).padEnd(18)} ${String(r['decision']).padEnd(9)} ` +
            ([
              ...removals.map((x) => `${x.serverId} (${x.outcome})`),
              ...draining.map((id) => `${id} (draining)`),
            ].join(', ') || '-'),
        );
      }
    }
    writeFileSync(
      `${REPORTS}fanout.json`,
      `${JSON.stringify({ sweep: fanoutReport, records: processed }, null, 2)}\n`,
    );
    const dead = await sqs.receive(sqs.deadLetterQueueUrl);
    const afterFanout = membersOf(sim);
    const same = JSON.stringify([...afterInline]) === JSON.stringify([...afterFanout]);
    console.log(`report: .reports/fanout.json · dead-letter queue: ${dead.length} messages`);
    console.log(`\ninline and fanout leave the fleet in the same state: ${same ? 'yes' : 'NO'}`);
    const removed = [...before].flatMap(([group, ids]) =>
      ids.filter((id) => !afterInline.get(group)?.includes(id)).map((id) => `${group}/${id}`),
    );
    console.log(`removed from the fleet: ${removed.join(', ') || 'nothing'}`);
    if (!same) process.exitCode = 1;
  } finally {
    await cloud.close();
  }
}

await main();
