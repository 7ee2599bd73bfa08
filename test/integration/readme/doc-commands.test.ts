import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../../scripts/lib/invoke-local.ts';
import { type Simulator, startSimulator } from '../../../sim/server.ts';
import { everyDocCommand, pageText } from '../../helpers/readme.ts';

// Every ```bash command of README.md and docs/*.md has a runner: a test that
// reads it from its page and checks what the page says it does. Blocks that
// need the local cloud on its fixed ports run in readme-commands.test.ts, the
// Quick start's `npm start` in quick-start.test.ts, `npm test` and
// `npm run test:faults` in .ci/run, docs/learned-floors.md's in
// test/integration/history/docs.test.ts; every other block runs here, as a whole,
// in a shell: the `aws` CLI is a recorder on PATH, and `osls deploy` is
// `osls print`, which resolves the same stage, parameters and all, offline.

const TIMEOUT_MS = 240_000;
const CI_RUN = pageText('.ci/run');

type Claim = 'quick-start' | 'local-cloud' | 'ci' | 'learned-floors' | 'here';

/** Which runner owns a command of a page section. */
function claimOf(page: string, section: string, command: string): Claim | undefined {
  if (page === 'README.md' && section === 'Quick start' && command === 'npm start') {
    return 'quick-start';
  }
  if (/^npm (test|run test:faults)$/.test(command)) return 'ci';
  if (page === 'README.md' && section === 'Running locally') return 'local-cloud';
  if (page === 'docs/learned-floors.md' && section === 'npm run recommend') return 'learned-floors';
  if (command.includes('--stage local')) return 'local-cloud';
  return HERE.some((b) => b.page === page && b.section === section) ? 'here' : undefined;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Each `aws` call, its arguments. */
  aws: string[][];
}

/** A block of a page run here, and what its page says it does. */
interface Block {
  page: string;
  section: string;
  /** A section of the same page the reader ran before this one, in the same shell. */
  after?: string;
  env?: () => Record<string, string>;
  check(ran: Ran): void;
}

/** What the step by step of docs/deploying.md configures. */
const CONFIGURED = {
  MIN_SERVERS_PER_GROUP: '2',
  REMOVAL_MODE: 'release',
  LOGOFF_DISCONNECTED_AFTER_MINUTES: '60',
  DRAIN_SECONDS: '420',
};

const KEY = { AK: 'sample-access-key', SK: 'sample-secret-key', PROJECT: 'sample-project-0123' };
let sim: Simulator;

/** The stage each `osls deploy` (run as `osls print --format json`) would deploy, in order. */
function deployed(ran: Ran): { env: Record<string, string>; alarmEmail: string | undefined }[] {
  return [...ran.stdout.matchAll(/^\{\n[\s\S]*?^\}$/gm)].map(([json]) => {
    const stage = JSON.parse(json);
    const subscription = stage.resources?.Resources?.AlarmEmailSubscription?.Properties;
    const condition = JSON.stringify(stage.resources?.Conditions?.SubscribeAlarmEmail ?? '');
    return {
      env: stage.provider?.environment ?? {},
      // The subscription exists only when its condition's address is not empty.
      alarmEmail: condition.includes('["",""]') ? undefined : subscription?.Endpoint,
    };
  });
}

const awsCall = (ran: Ran, ...words: string[]) =>
  ran.aws.filter((args) => words.every((w) => args.includes(w)));
const flagValue = (args: string[] | undefined, flag: string) =>
  args === undefined ? undefined : args[args.indexOf(flag) + 1];

const HERE: Block[] = [
  {
    page: 'README.md',
    section: 'Deploying',
    check(ran) {
      const ak = awsCall(ran, 'put-parameter', '/aps-autoscaler/prod/huaweicloud-ak')[0];
      const sk = awsCall(ran, 'put-parameter', '/aps-autoscaler/prod/huaweicloud-sk')[0];
      expect(flagValue(ak, '--type')).toBe('SecureString');
      expect(flagValue(ak, '--value')).toBe('your-access-key');
      expect(flagValue(sk, '--value')).toBe('your-secret-key');
      expect(ran.stdout).toContain('stage prod: ok');
      // The first deploy is a dry run; going live keeps every other parameter.
      const [first, live, ...more] = deployed(ran);
      expect(more).toEqual([]);
      expect(first?.env['DRY_RUN']).toBe('true');
      expect(live?.env['DRY_RUN']).toBe('false');
      for (const stage of [first, live]) {
        expect(stage?.env['HUAWEICLOUD_SDK_PROJECT_ID']).toBe('your-project-id');
        expect(stage?.alarmEmail).toBe('ops@example.com');
      }
    },
  },
  {
    page: 'docs/deploying.md',
    section: 'Step by step',
    check(ran) {
      expect(awsCall(ran, 'put-parameter')).toHaveLength(2);
      expect(ran.stdout).toContain('stage prod: ok');
      const [stage] = deployed(ran);
      expect(stage?.env).toMatchObject(CONFIGURED);
      expect(stage?.env['DRY_RUN']).toBe('true');
      expect(stage?.alarmEmail).toBe('ops@example.com');
    },
  },
  {
    page: 'docs/deploying.md',
    section: 'Stage parameters',
    after: 'Step by step',
    check(ran) {
      // Going live, as the page says, after the step by step: nothing configured is lost.
      const live = deployed(ran).at(-1);
      expect(live?.env).toMatchObject({ ...CONFIGURED, DRY_RUN: 'false' });
      expect(live?.env['HUAWEICLOUD_SDK_PROJECT_ID']).toBe('your-project-id');
      expect(live?.alarmEmail).toBe('ops@example.com');
    },
  },
  {
    page: 'docs/operations.md',
    section: 'Keys',
    env: () => KEY,
    check(ran) {
      const puts = awsCall(ran, 'put-parameter', '--overwrite');
      expect(puts.map((args) => flagValue(args, '--value'))).toEqual([KEY.AK, KEY.SK]);
      const secret = awsCall(ran, 'secretsmanager', 'create-secret')[0];
      expect(JSON.parse(flagValue(secret, '--secret-string') ?? '')).toEqual({
        ak: KEY.AK,
        sk: KEY.SK,
      });
    },
  },
  {
    page: 'docs/simulator.md',
    section: 'Before you deploy: `npm run plan`',
    // "Your account" is the simulator here: the key, the project and the endpoint overrides.
    env: () => ({
      AK: sim.credentials.ak,
      SK: sim.credentials.sk,
      PROJECT: sim.projectId,
      APS_ENDPOINT: sim.url,
      ECS_ENDPOINT: sim.url,
    }),
    check(ran) {
      const header = `plan mode (read only) against project ${sim.projectId} in cn-north-4`;
      expect(ran.stdout.split(header)).toHaveLength(3);
      expect(ran.stdout).toMatch(/^what-if on the same data \(no second fetch\):$/m);
      expect(ran.stdout).toContain('shrink=15,threshold=70,min=2');
      expect(ran.stdout).toContain('wrote .reports/plan/plan.html');
    },
  },
  {
    page: 'docs/logoff.md',
    section: '',
    check(ran) {
      expect(ran.stdout).toContain('plan mode (read only) on the built-in simulator: demo fleet');
      expect(ran.stdout).toMatch(/nothing was changed$/m);
    },
  },
  {
    page: 'docs/schedules.md',
    section: '',
    check(ran) {
      // The page's table, row by row: the group's removals and its LIMITS text.
      const rows = pageText('docs/schedules.md')
        .split('\n')
        .filter((line) => /^\| `sg-/.test(line))
        .map((line) => line.split('|').map((cell) => cell.trim()));
      expect(rows).toHaveLength(5);
      expect(ran.stdout).not.toContain('note: --at is');
      for (const [, group, removes, limits] of rows) {
        const name = (group ?? '').replaceAll('`', '');
        const line = ran.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
        expect(line.match(/\(would-remove\)/g)?.length ?? 0, name).toBe(Number(removes));
        const text = (limits ?? '').replace(/^skip /, '').replaceAll('`', '');
        expect(line, name).toContain(text);
      }
    },
  },
];

describe('every command of every documentation page', () => {
  it('has a runner that reads it from its page', () => {
    const unclaimed = everyDocCommand().filter(
      (c) => claimOf(c.page, c.section, c.command) === undefined,
    );
    expect(unclaimed).toEqual([]);
  });

  it('leaves to .ci/run only what .ci/run runs', () => {
    for (const c of everyDocCommand().filter(
      (c) => claimOf(c.page, c.section, c.command) === 'ci',
    )) {
      expect(CI_RUN).toMatch(new RegExp(`^${c.command}$`, 'm'));
    }
  });
});

describe('the documentation blocks that need no local cloud, run as written', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aps-doc-commands-'));
    writeFileSync(
      join(dir, 'aws'),
      '#!/usr/bin/env bash\nfor a in "$@"; do printf \'%s\\0\' "$a"; done >> "$AWS_CALLS"\necho >> "$AWS_CALLS"\n',
    );
    chmodSync(join(dir, 'aws'), 0o755);
    sim = await startSimulator({ clock: { now: 'real', rebase: true } });
  });
  afterAll(async () => {
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each(HERE.map((b) => [`${b.page} ${b.section || '(top)'}`, b] as const))(
    '%s',
    async (_, block) => {
      const sections = [block.after, block.section].filter((s) => s !== undefined);
      const commands = sections
        .flatMap((section) =>
          everyDocCommand().filter((c) => c.page === block.page && c.section === section),
        )
        .filter((c) => claimOf(c.page, c.section, c.command) === 'here')
        .map((c) => c.command.replace(/^npx osls deploy /, 'npx osls print --format json '));
      expect(commands.length).toBeGreaterThan(0);
      const calls = join(dir, `calls-${Math.random().toString(36).slice(2)}`);
      writeFileSync(calls, '');
      const { stdout, stderr, exitCode } = await runCommand(
        'bash',
        ['-c', `set -euo pipefail\n${commands.join('\n')}`],
        {
          timeoutMs: TIMEOUT_MS,
          env: {
            PATH: `${dir}:${process.env['PATH'] ?? ''}`,
            AWS_CALLS: calls,
            ESBUILD_WORK_FOLDER: '.esbuild-doc-commands',
            ...block.env?.(),
          },
        },
      );
      expect(exitCode, `${commands.join('\n')}\n${stderr.slice(-3000)}`).toBe(0);
      const aws = readFileSync(calls, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\0').slice(0, -1));
      block.check({ code: exitCode, stdout, stderr, aws });
    },
    TIMEOUT_MS + 10_000,
  );
});
