import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FinishedSweepReport } from '../../../lib/finish-sweep.ts';
import { pageKeyOf } from '../../../lib/report-store.ts';
import { lastJsonDocument, runCommand } from '../../../scripts/lib/invoke-local.ts';
import { LOCAL_STAGE_PORTS } from '../../../scripts/lib/local-cloud.ts';
import { LOCAL_REPORT_BUCKET } from '../../../scripts/lib/local-s3.ts';
import { DEAD_LETTER_QUEUE, LOCAL_SQS_ACCOUNT } from '../../../sim/local-sqs.ts';
import { listening } from '../../helpers/ports.ts';
import { pageCommands, readmeCommands } from '../../helpers/readme.ts';

// The commands that need the local cloud, read from README.md ("Running
// locally") and docs/schedules.md, run as written on the
// `local` stage's fixed ports (CI runs this file alone on them; a taken port
// fails the first step with npm run sim's line naming it). Runs of the
// Serverless CLI here build in their own folder, so they may overlap
// test/integration/functions/serverless.test.ts.
const ENV = { ESBUILD_WORK_FOLDER: '.esbuild-readme' };
const SIM = `http://127.0.0.1:${LOCAL_STAGE_PORTS.sim}`;
const COMMAND_TIMEOUT_MS = 120_000;

interface Ran {
  command: string;
  code: number | null;
  stdout: string;
  stderr: string;
  /** The handler's result for an `osls invoke local`. */
  result: unknown;
  /** Mutating API calls the simulator logged during the command. */
  mutations: Call[];
  calls: Call[];
}

interface Call {
  seq: number;
  method: string;
  path: string;
  route: string | null;
  body?: string;
}

interface SimServer {
  id: string;
  server_group_id?: string;
  maintain_status?: boolean;
}

const admin = async <T>(path: string, method = 'GET'): Promise<T> =>
  (await (await fetch(`${SIM}${path}`, { method })).json()) as T;
const servers = async () => (await admin<{ servers: SimServer[] }>('/_sim/state')).servers;
const server = async (id: string) => (await servers()).find((s) => s.id === id);
const membersOf = async (group: string) =>
  (await servers())
    .filter((s) => s.server_group_id === group)
    .map((s) => s.id)
    .sort();
const fleetMembers = async () =>
  (await servers()).map((s) => `${s.server_group_id ?? '-'}/${s.id}`).sort();

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const s3 = new S3Client({
  endpoint: `http://127.0.0.1:${LOCAL_STAGE_PORTS.s3}`,
  forcePathStyle: true,
  region: 'us-east-1',
  credentials,
});
const sqs = new SQSClient({
  endpoint: `http://127.0.0.1:${LOCAL_STAGE_PORTS.sqs}`,
  region: 'us-east-1',
  credentials,
});
const DLQ_URL = `http://127.0.0.1:${LOCAL_STAGE_PORTS.sqs}/${LOCAL_SQS_ACCOUNT}/${DEAD_LETTER_QUEUE}`;

/** Receives and deletes everything on the dead-letter queue; returns each message's `kind`. */
async function drainDeadLetters(): Promise<string[]> {
  const kinds: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: DLQ_URL,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return kinds;
    for (const m of Messages) {
      kinds.push(m.MessageAttributes?.['kind']?.StringValue ?? '');
      await sqs.send(
        new DeleteMessageCommand({ QueueUrl: DLQ_URL, ReceiptHandle: m.ReceiptHandle }),
      );
    }
  }
}

/** Whether the report and its page are in the local S3 bucket. */
async function keptInS3(key: string | undefined): Promise<number[]> {
  if (key === undefined) throw new Error('the sweep kept no report');
  const size = async (k: string) =>
    (
      await (
        await s3.send(new GetObjectCommand({ Bucket: LOCAL_REPORT_BUCKET, Key: k }))
      ).Body?.transformToString()
    )?.length ?? 0;
  return [await size(key), await size(pageKeyOf(key))];
}

/** The ERROR log lines of a run (Powertools writes them to stderr). */
const errorLines = (ran: Pick<Ran, 'stdout' | 'stderr'>) =>
  `${ran.stdout}\n${ran.stderr}`.split('\n').filter((line) => line.startsWith('{"level":"ERROR"'));

let lastSeq = 0;

/** Runs one README command as written under a timeout, with the simulator's calls it made. */
async function run(command: string): Promise<Ran> {
  const before = lastSeq;
  const { stdout, stderr, exitCode } = await runCommand('bash', ['-c', command], {
    timeoutMs: COMMAND_TIMEOUT_MS,
    env: ENV,
  });
  const calls = (
    await admin<{ calls: Call[] }>(`/_sim/calls?since=${command.includes('reset') ? 0 : before}`)
  ).calls.filter((c) => !c.path.startsWith('/_sim'));
  lastSeq = calls.at(-1)?.seq ?? (command.includes('reset') ? 0 : before);
  return {
    command,
    code: exitCode,
    stdout,
    stderr,
    result: command.includes('osls invoke local') ? lastJsonDocument(stdout) : undefined,
    calls,
    mutations: calls.filter((c) => c.method !== 'GET'),
  };
}

const removalsOf = (report: FinishedSweepReport) =>
  report.groups.flatMap((g) => g.removals.map((r) => ({ group: g.serverGroupId, ...r })));
const idsWith = (report: FinishedSweepReport, outcome: string) =>
  removalsOf(report)
    .filter((r) => r.outcome === outcome)
    .map((r) => r.serverId)
    .sort();

/** What the README says each of its commands does, in its order. */
interface Step {
  /** Identifies the README command this check belongs to. */
  command: RegExp;
  check(ran: Ran): Promise<void>;
}

let afterInline: string[] = [];

const reset: Step = {
  command: /^npm run sim:reset$/,
  async check(ran) {
    expect(ran.stdout).toContain('simulator reset: 200');
    expect(await membersOf('sg-scale-in')).toContain('srv-si-idle-1');
    expect(await membersOf('sg-floor')).toContain('srv-fl-idle-a');
  },
};

const STEPS: Step[] = [
  {
    command: /schedule-dry-run\.json$/,
    async check(ran) {
      const report = ran.result as FinishedSweepReport;
      expect(idsWith(report, 'would-remove')).toEqual(['srv-fl-idle-a', 'srv-si-idle-1']);
      expect(idsWith(report, 'not-in-ecs-group')).toEqual(['srv-fl-idle-b']);
      expect(ran.mutations).toEqual([]);
      expect(ran.stdout).toContain('"audit":"decision"');
      expect(await keptInS3(report.reportKey)).toEqual([expect.any(Number), expect.any(Number)]);
    },
  },
  {
    command: /--path events\/schedule\.json$/,
    async check(ran) {
      const report = ran.result as FinishedSweepReport;
      expect(report.status).toBe('completed');
      expect(idsWith(report, 'removed')).toEqual(['srv-fl-idle-a', 'srv-si-idle-1']);
      expect(idsWith(report, 'not-in-ecs-group')).toEqual(['srv-fl-idle-b']);
      for (const removal of removalsOf(report).filter((r) => r.outcome === 'removed')) {
        expect(removal.drainedSeconds).toBeGreaterThanOrEqual(10);
      }
      const ecs = ran.mutations.filter((c) => c.route === 'ecsAction');
      expect(ecs).toHaveLength(2);
      for (const call of ecs) {
        expect(call.path).toMatch(/\/os-server-groups\/ec5e0000-[0-9a-f-]+\/action$/);
      }
      expect(ran.mutations.some((c) => c.route === 'batchMaint')).toBe(true);
      expect(await membersOf('sg-scale-in')).not.toContain('srv-si-idle-1');
      expect(await membersOf('sg-floor')).not.toContain('srv-fl-idle-a');
      expect(await membersOf('sg-floor')).toContain('srv-fl-idle-b');
      expect((await server('srv-si-idle-1'))?.maintain_status).toBe(false);
      expect(await keptInS3(report.reportKey)).toEqual([expect.any(Number), expect.any(Number)]);
      afterInline = await fleetMembers();
    },
  },
  reset,
  {
    command: /schedule\.json -e REMOVAL_MODE=release$/,
    async check(ran) {
      const report = ran.result as FinishedSweepReport;
      expect(idsWith(report, 'removed')).toEqual(['srv-fl-idle-a', 'srv-fl-idle-b']);
      expect(idsWith(report, 'prepaid')).toEqual(['srv-si-idle-1']);
      const deletes = ran.mutations.filter((c) => c.route === 'batchDeleteAppServers');
      // One group's re-checked servers go in one batch-delete (at most 20 a call).
      expect(deletes.map((c) => (JSON.parse(c.body ?? '{}').items as string[]).sort())).toEqual([
        ['srv-fl-idle-a', 'srv-fl-idle-b'],
      ]);
      expect(ran.calls.some((c) => c.route === 'getJob')).toBe(true);
      expect(await server('srv-fl-idle-a')).toBeUndefined();
      expect(await server('srv-fl-idle-b')).toBeUndefined();
      expect(await membersOf('sg-scale-in')).toContain('srv-si-idle-1');
    },
  },
  reset,
  {
    command: /sqs-evaluate-group\.json$/,
    async check(ran) {
      expect(ran.result).toEqual({ batchItemFailures: [] });
      expect(await server('srv-si-idle-1')).toMatchObject({
        server_group_id: 'sg-scale-in',
        maintain_status: true,
      });
    },
  },
  {
    command: /sqs-mixed-batch\.json$/,
    async check(ran) {
      expect(ran.result).toEqual({ batchItemFailures: [] });
      expect(await server('srv-fl-idle-a')).toMatchObject({ maintain_status: true });
      expect((await server('srv-si-busy'))?.server_group_id).toBe('sg-scale-in');
      expect(ran.stdout).toContain('"outcome":"not-in-ecs-group"');
      expect(await drainDeadLetters()).toEqual(['poison']);
    },
  },
  {
    command: /^npm run drain-queue$/,
    async check(ran) {
      expect(ran.stdout).toMatch(/queue drained: \d batch\(es\), 2 done, 0 failed/);
      expect(await membersOf('sg-scale-in')).not.toContain('srv-si-idle-1');
      expect(await membersOf('sg-floor')).not.toContain('srv-fl-idle-a');
      expect((await server('srv-fl-idle-a'))?.maintain_status).toBe(false);
    },
  },
  {
    command: /sqs-remove-member\.json$/,
    async check(ran) {
      expect(ran.result).toEqual({ batchItemFailures: [] });
      expect(ran.stdout).toContain('"status":"not-a-member"');
      expect(ran.mutations).toEqual([]);
    },
  },
  reset,
  {
    command: /schedule\.json -e SWEEP_MODE=fanout$/,
    async check(ran) {
      const report = ran.result as FinishedSweepReport;
      expect(report.enqueued?.sent).toBe(8);
      expect(report.summary).toMatch(/^8 evaluate-group messages enqueued for remediate, /);
      expect(ran.mutations).toEqual([]);
    },
  },
  {
    command: /^npm run drain-queue$/,
    async check(ran) {
      expect(ran.stdout).toMatch(/queue drained: \d batch\(es\), 10 done, 0 failed/);
      expect(await fleetMembers()).toEqual(afterInline);
      expect(await drainDeadLetters()).toEqual([]);
    },
  },
];

describe('README "Running locally", run as written', () => {
  const commands = readmeCommands('Running locally');
  let sim: ChildProcess | undefined;
  let npmPid: number | undefined;
  let simOutput = '';

  beforeAll(async () => {
    expect(commands.slice(0, 2)).toEqual(['npm ci', expect.stringMatching(/^npm run sim .*&$/)]);
    // `npm ci` has run already (node_modules is here); the local cloud starts
    // as written, in the background, and `$!` names the npm process.
    sim = spawn('bash', ['-c', `${commands[1]}\necho "npm pid $!"\nwait`], {
      env: { ...process.env, ...ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const ready = new Promise<void>((resolve, reject) => {
      const read = (chunk: Buffer) => {
        simOutput += chunk.toString();
        npmPid ??= Number(/npm pid (\d+)/.exec(simOutput)?.[1]) || undefined;
        if (simOutput.includes('Ctrl-C stops everything.') && npmPid !== undefined) resolve();
      };
      sim?.stdout?.on('data', read);
      sim?.stderr?.on('data', read);
      sim?.once('exit', () =>
        reject(new Error(`npm run sim ended before it was ready:\n${simOutput}`)),
      );
    });
    await ready;
  }, 60_000);

  afterAll(() => {
    // The whole process group, so a node a failed stop left behind goes too.
    if (sim?.pid !== undefined) {
      try {
        process.kill(-sim.pid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    s3.destroy();
    sqs.destroy();
  });

  it('has one check for each command after the start, in order', () => {
    const rest = commands.slice(2);
    expect(rest).toHaveLength(STEPS.length);
    rest.forEach((command, i) => {
      expect(command, `README command ${i + 3}`).toMatch(STEPS[i]?.command ?? /^$/);
    });
  });

  it.each(commands.slice(2).map((command, i) => [command, i] as const))(
    '%s',
    async (command, i) => {
      const ran = await run(command);
      expect(ran.code, `${command} exited ${ran.code}:\n${ran.stderr.slice(-3000)}`).toBe(0);
      expect(errorLines(ran).filter((l) => !l.includes('dead-letter'))).toEqual([]);
      // On the deployed runtime's Node the AWS SDK has nothing to warn about.
      expect(ran.stderr).not.toContain('NodeVersionSupportWarning');
      await STEPS[i]?.check(ran);
    },
    COMMAND_TIMEOUT_MS + 10_000,
  );

  it(
    'docs/schedules.md: the change-freeze event plans nothing and says why',
    async () => {
      const freeze = pageCommands('docs/schedules.md', '').filter((c) =>
        c.includes('--stage local'),
      );
      expect(freeze).toHaveLength(1);
      expect((await run('npm run sim:reset')).code).toBe(0);
      const ran = await run(freeze[0] as string);
      expect(ran.code, ran.stderr.slice(-3000)).toBe(0);
      const report = ran.result as FinishedSweepReport;
      expect(report.totals.plannedRemovals).toBe(0);
      expect(ran.mutations).toEqual([]);
      expect(ran.stdout).toContain(
        'max-removals 0 from schedule change-freeze window Mon-Sun 00:00-24:00',
      );
    },
    COMMAND_TIMEOUT_MS * 2,
  );

  it(
    'says so when drain-queue finds nothing to deliver',
    async () => {
      const ran = await run('npm run drain-queue');
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain('queue empty: nothing to deliver');
    },
    COMMAND_TIMEOUT_MS,
  );

  it.each([
    [
      'the secret key is wrong',
      'HUAWEICLOUD_SDK_SK=wrong',
      'failed with 401 APIGW.0301: signature mismatch',
    ],
    [
      'the simulator does not answer',
      'APS_ENDPOINT=http://127.0.0.1:9',
      'network error to 127.0.0.1:9 (ECONNREFUSED)',
    ],
  ])(
    'exits 1 with one ERROR line naming the cause when %s',
    async (_, setting, cause) => {
      const ran = await run(
        `npx osls invoke local -f sweep --stage local --path events/schedule.json -e ${setting}`,
      );
      expect(ran.code).toBe(1);
      expect(errorLines(ran)).toHaveLength(1);
      expect(errorLines(ran)[0]).toContain(cause);
    },
    COMMAND_TIMEOUT_MS,
  );

  it('stops every part on a signal to npm, leaving nothing listening', async () => {
    process.kill(npmPid as number, 'SIGTERM');
    await once(sim as ChildProcess, 'exit');
    const ports = Object.values(LOCAL_STAGE_PORTS);
    const deadline = Date.now() + 10_000;
    let open = ports;
    while (Date.now() < deadline) {
      const states = await Promise.all(ports.map(listening));
      open = ports.filter((_, i) => states[i]);
      if (open.length === 0) break;
      await delay(100);
    }
    expect(open).toEqual([]);
  }, 30_000);

  it(
    'exits 1 with one ERROR line naming the refused connection when npm run sim is stopped',
    async () => {
      const ran = await runCommand(
        'bash',
        ['-c', 'npx osls invoke local -f sweep --stage local --path events/schedule.json'],
        { timeoutMs: COMMAND_TIMEOUT_MS, env: ENV },
      );
      expect(ran.exitCode).toBe(1);
      const errors = errorLines(ran);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('report not kept: Error: connect ECONNREFUSED 127.0.0.1:4569');
      expect(errors[0]).toContain('ECONNREFUSED 127.0.0.1:8000');
    },
    COMMAND_TIMEOUT_MS,
  );
});
