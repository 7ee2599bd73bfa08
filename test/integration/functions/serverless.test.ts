import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGE_PARAMETERS } from '../../../lib/config-parameters.ts';
import {
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  REMOVAL_OUTCOMES,
  SWEEP_STATUSES,
} from '../../../lib/metric-names.ts';
import { DRAIN_TABLE_DEFINITION } from '../../../lib/removal/store/drain-table.ts';
import type { SweepReport } from '../../../lib/sweep/report.ts';
import { invokeLocal } from '../../../scripts/lib/invoke-local.ts';
import { type LocalS3, startLocalS3 } from '../../../scripts/lib/local-s3.ts';
import { stagesOf } from '../../../scripts/lib/stage-validation.ts';
import { type Simulator, startSimulator } from '../../../sim/server.ts';
import { awsActionsOf } from '../../helpers/aws-actions.ts';
import { mutatingCalls } from '../../helpers/stack.ts';

// Everything that runs the Serverless CLI with the default build folder lives
// in this one file: its runs share .esbuild/ in the repo and must not overlap
// (test/integration/readme/ builds in a folder of its own). The events in
// events/ run through `osls invoke local` there, as the README tells users.
const run = promisify(execFile);
const repo = new URL('../../../', import.meta.url).pathname;

interface Template {
  Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; Condition?: string }
  >;
  Conditions?: Record<string, unknown>;
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: unknown;
}

const PROJECT_ID = '0123456789abcdef0123456789abcdef';

/**
 * A value for every stage parameter, none of them its default (the package
 * run gives them all; packaging checks no value, so a setting added later
 * gets `sample-<parameter>` without touching this test).
 */
const SAMPLES: Record<string, string> = {
  huaweicloudProjectId: PROJECT_ID,
  huaweicloudRegion: 'ap-southeast-1',
  credentialsCacheSeconds: '600',
  apsEndpoint: 'https://aps.internal.example.com',
  ecsEndpoint: 'https://ecs.internal.example.com',
  dryRun: 'false',
  removalMode: 'release',
  enterpriseProjectId: 'ep-1',
  minServersPerGroup: '2',
  maxRemovalsPerGroup: '3',
  maxRemovalsPerSweep: '40',
  protectTagKey: 'keep-me',
  sessionLookbackHours: '48',
  sweepMode: 'fanout',
  maxConcurrency: '4',
  rateLimitRps: '15',
  httpTimeoutMs: '8000',
  failOnErrors: 'false',
  hourlyPriceByFlavor: '{"s6.xlarge.2":0.21}',
  drainSeconds: '600',
  schedules: '{"office":{"timeZone":"Asia/Shanghai","windows":[]}}',
  schedulesFile: 'schedules/example.json',
  defaultSchedule: 'office',
  logoffDisconnectedAfterMinutes: '60',
  logoffMessage: 'Logged off in 5 minutes.',
  logoffDelaySeconds: '240',
  httpsProxy: 'http://proxy.internal:3128',
  httpProxy: 'http://proxy.internal:3129',
  noProxy: '.internal.example.com',
};
for (const { parameter } of STAGE_PARAMETERS) SAMPLES[parameter] ??= `sample-${parameter}`;

describe('serverless.yml packaged for a deployed stage', () => {
  let dir: string;
  let template: Template;
  const resource = (type: string, name?: string) => {
    const found = Object.entries(template.Resources).find(
      ([key, r]) => r.Type === type && (name === undefined || key === name),
    );
    if (!found) throw new Error(`no ${type} ${name ?? ''} in the template`);
    return found[1].Properties;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aps-package-'));
    // `package` must work offline, without AWS credentials.
    await run(
      'npx',
      [
        'osls',
        'package',
        '--stage',
        'prod',
        '--package',
        dir,
        ...Object.entries(SAMPLES).flatMap(([name, value]) => ['--param', `${name}=${value}`]),
      ],
      {
        cwd: repo,
        timeout: 120_000,
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: '',
          AWS_SECRET_ACCESS_KEY: '',
          AWS_PROFILE: '',
        },
      },
    );
    template = JSON.parse(
      readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
    );
  }, 150_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every function on nodejs24.x, the Node major of development and the tests', () => {
    for (const fn of ['sweep', 'remediate', 'recommend']) {
      const name = `${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`;
      const lambda = resource('AWS::Lambda::Function', name);
      expect(lambda.Runtime).toBe('nodejs24.x');
      expect(lambda.Handler).toBe(`functions/${fn}.handler`);
    }
  });

  it.each(STAGE_PARAMETERS.map((p) => [p.parameter, p.variable] as const))(
    'carries --param %s into both functions as %s',
    (parameter, variable) => {
      for (const name of ['SweepLambdaFunction', 'RemediateLambdaFunction']) {
        const env = resource('AWS::Lambda::Function', name).Environment as {
          Variables: Record<string, unknown>;
        };
        expect(env.Variables[variable], `${name} ${variable}`).toBe(SAMPLES[parameter]);
      }
    },
  );

  it('schedules the sweep every 15 minutes and the recommendation weekly', () => {
    const rules = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => JSON.stringify([r.Properties.ScheduleExpression, r.Properties.Targets]));
    expect(rules.find((r) => r.includes('SweepLambdaFunction'))).toContain('rate(15 minutes)');
    expect(rules.find((r) => r.includes('RecommendLambdaFunction'))).toContain('rate(7 days)');
  });

  it('wires remediate to the queue with partial batch responses and bounded concurrency', () => {
    const mapping = resource('AWS::Lambda::EventSourceMapping');
    expect(mapping.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(mapping.BatchSize).toBe(10);
    expect(mapping.MaximumBatchingWindowInSeconds).toBeGreaterThan(0);
    expect(mapping.ScalingConfig).toEqual({ MaximumConcurrency: expect.any(Number) });
    expect(mapping.EventSourceArn).toEqual({ 'Fn::GetAtt': ['RemediationQueue', 'Arn'] });
  });

  it('gives the queue a dead-letter redrive and a visibility timeout of at least six function timeouts', () => {
    const queue = resource('AWS::SQS::Queue', 'RemediationQueue');
    const remediate = resource('AWS::Lambda::Function', 'RemediateLambdaFunction');
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * (remediate.Timeout as number));
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': ['RemediationDeadLetterQueue', 'Arn'] },
      maxReceiveCount: expect.any(Number),
    });
  });

  const statementsOf = (roleName: string): Statement[] =>
    (
      (template.Resources[roleName]?.Properties.Policies ?? []) as {
        PolicyDocument: { Statement: Statement[] };
      }[]
    ).flatMap((p) => p.PolicyDocument.Statement);
  const actionsOf = (statements: Statement[]) =>
    statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();
  const arn = (name: string) => ({ 'Fn::GetAtt': [name, 'Arn'] });
  const LOGS_AND_XRAY = [
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'xray:PutTelemetryRecords',
    'xray:PutTraceSegments',
  ];

  it('gives each function its own role', () => {
    const sweep = resource('AWS::Lambda::Function', 'SweepLambdaFunction');
    const remediate = resource('AWS::Lambda::Function', 'RemediateLambdaFunction');
    expect(sweep.Role).toEqual(arn('SweepIamRoleLambdaExecution'));
    expect(remediate.Role).toEqual(arn('RemediateIamRoleLambdaExecution'));
  });

  // What a role holds beyond what the code sends: the platform's own needs.
  const PLATFORM: Record<string, string[]> = {
    // Logs, tracing, and the SSM key parameters' decryption through SSM.
    all: [...LOGS_AND_XRAY, 'kms:Decrypt'],
    // The SQS event source mapping receives and deletes with the function's role.
    remediate: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
  };

  it.each(['sweep', 'remediate', 'recommend'])(
    'grants %s every AWS action its bundled code can send, and nothing its code does not but the platform needs',
    async (name) => {
      const code = await awsActionsOf(`functions/${name}.ts`);
      expect(code.unknown, 'AWS commands test/helpers/aws-actions.ts has no action for').toEqual(
        [],
      );
      // The stage reads its key pair from SSM (credentialsSource: ssm), never from Secrets Manager.
      const sends = code.actions.filter((a) => a !== 'secretsmanager:GetSecretValue');
      const role = `${name[0]?.toUpperCase()}${name.slice(1)}IamRoleLambdaExecution`;
      const granted = actionsOf(statementsOf(role));
      expect(
        sends.filter((a) => !granted.includes(a)),
        `${name} sends, its role lacks`,
      ).toEqual([]);
      const platform = [...(PLATFORM.all ?? []), ...(PLATFORM[name] ?? [])];
      const unused = granted.filter((a) => !sends.includes(a) && !platform.includes(a));
      expect(unused, `${name}'s role grants, its code never sends`).toEqual([]);
    },
  );

  it("scopes sweep's grants: its key parameters, the report bucket, the drain table, its two queues, its notice topic, the history samples it compacts", () => {
    const statements = statementsOf('SweepIamRoleLambdaExecution');
    const by = (action: string) =>
      statements.find((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]).includes(action));
    expect(JSON.stringify(by('ssm:GetParameter')?.Resource)).toContain(
      ':parameter/aps-autoscaler/prod/huaweicloud-*',
    );
    expect(JSON.stringify(by('kms:Decrypt')?.Condition)).toContain('kms:ViaService');
    expect(by('s3:PutObject')?.Resource).toEqual({
      'Fn::Join': ['', [arn('ReportBucket'), '/*']],
    });
    expect(by('s3:GetObject')?.Resource).toEqual({
      'Fn::Join': ['', [arn('ReportBucket'), '/history/learned/*']],
    });
    // Compaction (fanout): lists, reads and deletes history samples only.
    expect(by('s3:DeleteObject')?.Resource).toEqual({
      'Fn::Join': ['', [arn('ReportBucket'), '/history/samples/*']],
    });
    expect(by('s3:ListBucket')?.Condition).toEqual({
      StringLike: { 's3:prefix': ['history/samples/*'] },
    });
    expect(by('sqs:SendMessage')?.Resource).toEqual([
      arn('RemediationQueue'),
      arn('SweepFailureQueue'),
    ]);
    expect(by('dynamodb:PutItem')?.Resource).toEqual(arn('DrainTable'));
    // The notice topic only: notifyTopicArn, else the alarms' topic (the same expression as NOTIFY_TOPIC_ARN).
    const topic = by('sns:Publish')?.Resource;
    expect(topic).toEqual({
      'Fn::If': [
        'HasNotifyTopicArn',
        expect.anything(),
        { 'Fn::If': ['HasAlarmTopicArn', expect.anything(), { Ref: 'AlarmTopic' }] },
      ],
    });
    const env = resource('AWS::Lambda::Function', 'SweepLambdaFunction').Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables.NOTIFY_TOPIC_ARN).toEqual(topic);
  });

  it("scopes remediate's grants: its key parameters, the drain table, its queue, the dead-letter queue, and fanout's demand history", () => {
    const statements = statementsOf('RemediateIamRoleLambdaExecution');
    const send = statements.find((s) => s.Action.includes('sqs:SendMessage'));
    expect(send?.Resource).toEqual([arn('RemediationQueue'), arn('RemediationDeadLetterQueue')]);
    const receive = statements.find((s) => s.Action.includes('sqs:ReceiveMessage'));
    expect(receive?.Resource).toEqual([arn('RemediationQueue')]);
    const drains = statements.find((s) => s.Action.includes('dynamodb:Query'));
    expect(drains?.Resource).toEqual(arn('DrainTable'));
    const history = statements.find((s) => s.Action.includes('s3:PutObject'));
    expect(history?.Resource).toEqual({
      'Fn::Join': ['', [arn('ReportBucket'), '/history/samples/*']],
    });
  });

  it("scopes recommend's grants: its key parameters and history/ of the report bucket", () => {
    const statements = statementsOf('RecommendIamRoleLambdaExecution');
    const list = statements.find((s) => s.Action.includes('s3:ListBucket'));
    expect(list?.Resource).toEqual(arn('ReportBucket'));
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['history/*'] } });
    const objects = statements.find((s) => s.Action.includes('s3:PutObject'));
    expect(objects?.Resource).toEqual({ 'Fn::Join': ['', [arn('ReportBucket'), '/history/*']] });
  });

  it('keeps drains in the one table definition, its name in both functions', () => {
    const table = resource('AWS::DynamoDB::Table', 'DrainTable');
    expect(table).toEqual({ ...DRAIN_TABLE_DEFINITION, TableName: 'aps-autoscaler-drain-prod' });
    const env = resource('AWS::Lambda::Function', 'SweepLambdaFunction').Environment as {
      Variables: Record<string, unknown>;
    };
    expect(env.Variables.DRAIN_TABLE_NAME).toEqual({ Ref: 'DrainTable' });
    expect(env.Variables.DRAIN_SECONDS).toBe(SAMPLES.drainSeconds);
  });

  it('never grants a wildcard action', () => {
    for (const role of [
      'SweepIamRoleLambdaExecution',
      'RemediateIamRoleLambdaExecution',
      'RecommendIamRoleLambdaExecution',
    ]) {
      expect(actionsOf(statementsOf(role)).some((a) => a.endsWith('*'))).toBe(false);
    }
  });

  it('runs one sweep at a time, never retries it asynchronously, and sends failures to a queue', () => {
    expect(
      resource('AWS::Lambda::Function', 'SweepLambdaFunction').ReservedConcurrentExecutions,
    ).toBe(1);
    // The recommend function has one too: find the sweep's by its function.
    const invokeConfig = Object.values(template.Resources).find(
      (r) =>
        r.Type === 'AWS::Lambda::EventInvokeConfig' &&
        JSON.stringify(r.Properties.FunctionName) === '{"Ref":"SweepLambdaFunction"}',
    )?.Properties;
    expect(invokeConfig?.FunctionName).toEqual({ Ref: 'SweepLambdaFunction' });
    expect(invokeConfig?.MaximumRetryAttempts).toBe(0);
    expect(invokeConfig?.DestinationConfig).toEqual({
      OnFailure: { Destination: arn('SweepFailureQueue') },
    });
  });

  it('puts no key, no resolved SSM value and no secret in any function environment', () => {
    for (const name of [
      'SweepLambdaFunction',
      'RemediateLambdaFunction',
      'RecommendLambdaFunction',
    ]) {
      const env = (
        resource('AWS::Lambda::Function', name).Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
      expect(env.HUAWEICLOUD_SDK_AK).toBeUndefined();
      expect(env.HUAWEICLOUD_SDK_SK).toBeUndefined();
      expect(JSON.stringify(env)).not.toMatch(/resolve:ssm|resolve:secretsmanager/);
      expect(env.HUAWEICLOUD_SDK_SK_PARAMETER).toBe('/aps-autoscaler/prod/huaweicloud-sk');
      expect(env.HUAWEICLOUD_SDK_AK_PARAMETER).toBe('/aps-autoscaler/prod/huaweicloud-ak');
      expect(env.HUAWEICLOUD_SDK_PROJECT_ID).toBe(PROJECT_ID);
      expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
      expect(env.REPORT_BUCKET).toEqual({ Ref: 'ReportBucket' });
      expect(env.REMEDIATION_QUEUE_URL).toEqual({ Ref: 'RemediationQueue' });
    }
    expect(JSON.stringify(template)).not.toMatch(/simulator-secret-key|SIMULATORACCESSKEY/);
  });

  it('keeps reports in an encrypted, private bucket that expires them', () => {
    const bucket = resource('AWS::S3::Bucket', 'ReportBucket');
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
      ],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.LifecycleConfiguration).toEqual({
      Rules: [
        { Id: 'expire-reports', Status: 'Enabled', ExpirationInDays: '90' },
        { Id: 'expire-history', Status: 'Enabled', Prefix: 'history/', ExpirationInDays: 63 },
      ],
    });
  });

  const alarms = () =>
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
      .map(([name, r]): Record<string, unknown> & { name: string } => ({
        ...r.Properties,
        name,
      }));

  it.each([
    ['RemediationDeadLetterQueueAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 0],
    ['SweepFailureQueueAlarm', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 0],
    ['SweepErrorsAlarm', 'AWS/Lambda', 'Errors', 0],
    ['RemediateErrorsAlarm', 'AWS/Lambda', 'Errors', 0],
    ['SweepAbortedAlarm', METRICS_NAMESPACE, METRIC.sweeps, 0],
    ['SweepPartialAlarm', METRICS_NAMESPACE, METRIC.sweeps, 0],
    ['RemovalFailuresAlarm', METRICS_NAMESPACE, METRIC.removals, 0],
    ['HistoryFailuresAlarm', METRICS_NAMESPACE, METRIC.historyFailures, 1],
    ['BudgetEndFailuresAlarm', METRICS_NAMESPACE, METRIC.budgetEndFailures, 1],
  ])(
    'ships the alarm %s on %s %s above %d, notifying the alarm topic',
    (name, ns, metric, threshold) => {
      const alarm = alarms().find((a) => a.name === name);
      expect(alarm).toMatchObject({ Namespace: ns, MetricName: metric, Threshold: threshold });
      expect(alarm?.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(alarm?.AlarmActions).toEqual([
        { 'Fn::If': ['HasAlarmTopicArn', '', { Ref: 'AlarmTopic' }] },
      ]);
    },
  );

  it('alarms on duration at 80 % of each function timeout', () => {
    for (const fn of ['Sweep', 'Remediate']) {
      const timeout = resource('AWS::Lambda::Function', `${fn}LambdaFunction`).Timeout as number;
      const alarm = alarms().find((a) => a.name === `${fn}DurationAlarm`);
      expect(alarm?.Threshold).toBe(timeout * 1000 * 0.8);
    }
  });

  it('alarms and the dashboard use only metric names, dimensions and the namespace of lib/metric-names.ts', () => {
    const known = new Set<string>(Object.values(METRIC));
    const ours = alarms().filter((a) => a.Namespace === METRICS_NAMESPACE);
    expect(ours.length).toBeGreaterThanOrEqual(3);
    for (const alarm of ours) {
      expect(known).toContain(alarm.MetricName);
      const dims = alarm.Dimensions as { Name: string; Value: string }[];
      expect(dims).toContainEqual({ Name: DIMENSION.service, Value: METRICS_SERVICE });
      expect(dims).toContainEqual({ Name: DIMENSION.stage, Value: 'prod' });
    }
    expect(ours.map((a) => (a.Dimensions as { Name: string; Value: string }[]).at(-1))).toEqual(
      expect.arrayContaining([
        { Name: DIMENSION.status, Value: 'aborted' },
        { Name: DIMENSION.status, Value: 'partial' },
        { Name: DIMENSION.outcome, Value: 'failed' },
      ]),
    );
    const body = JSON.parse(resource('AWS::CloudWatch::Dashboard').DashboardBody as string) as {
      widgets: { properties: { metrics: (string | object)[][] } }[];
    };
    const lines = body.widgets.flatMap((w) => w.properties.metrics);
    const mine = lines.filter((l) => l[0] === METRICS_NAMESPACE);
    const outcomes = new Set<string>(REMOVAL_OUTCOMES);
    const statuses = new Set<string>(SWEEP_STATUSES);
    for (const line of mine) {
      expect(known).toContain(line[1]);
      const dims = line.slice(2).filter((x): x is string => typeof x === 'string');
      for (let i = 0; i < dims.length; i += 2) {
        const [name, value] = [dims[i] as string, dims[i + 1] as string];
        expect(Object.values(DIMENSION)).toContain(name);
        if (name === DIMENSION.outcome) expect(outcomes).toContain(value);
        if (name === DIMENSION.status) expect(statuses).toContain(value);
        if (name === DIMENSION.service) expect(value).toBe(METRICS_SERVICE);
      }
    }
    // The sweep's story: removals, idle servers, errors, throttles, duration, DLQ depth.
    const names = new Set(lines.map((l) => l[1]));
    for (const metric of [
      METRIC.removals,
      METRIC.serversIdle,
      METRIC.apiErrors,
      METRIC.throttles,
      'Errors',
      'Duration',
      'ApproximateNumberOfMessagesVisible',
    ]) {
      expect(names).toContain(metric);
    }
  });

  it('ships the storm-warning alarm only when stormAlarm is true', () => {
    const storm = template.Resources.StormWarningsAlarm;
    expect(storm?.Condition).toBe('StormAlarmOn');
    expect(storm?.Properties).toMatchObject({ MetricName: METRIC.stormWarnings, Threshold: 0 });
    expect(template.Conditions?.StormAlarmOn).toEqual({ 'Fn::Equals': ['false', 'true'] });
  });

  it('creates the alarm topic only when no alarmTopicArn is given, and subscribes alarmEmail', () => {
    expect(template.Resources.AlarmTopic?.Condition).toBe('CreateAlarmTopic');
    expect(template.Resources.AlarmEmailSubscription?.Condition).toBe('SubscribeAlarmEmail');
  });
});

describe('npm run validate', () => {
  // Each stage checked is one `osls print`: seconds of CPU starting the
  // framework, and as long as scripts/validate.ts allows one on a loaded machine.
  const PRINT_MS = 120_000;
  const STAGES = stagesOf(readFileSync(join(repo, 'serverless.yml'), 'utf8'));
  const validateWithin = (timeout: number, args: string[]) =>
    run('node', ['--import', 'tsx', 'scripts/validate.ts', ...args], { cwd: repo, timeout });
  const validate = (...args: string[]) => validateWithin(PRINT_MS, args);
  /** A validate run expected to fail: its exit code and output (undefined when it passed). */
  const refusedWithin = (timeout: number, args: string[]) =>
    validateWithin(timeout, args).then(
      () => undefined,
      (e: { code: number; stderr: string; stdout: string }) => e,
    );
  const refused = (...args: string[]) => refusedWithin(PRINT_MS, args);
  /** `--stage prod` with the project id and each of `params` as a `--param`. */
  const prodWith = (...params: string[]) => [
    '--stage',
    'prod',
    ...[`huaweicloudProjectId=${PROJECT_ID}`, ...params].flatMap((p) => ['--param', p]),
  ];

  it('fails on --param dryRun=yes, naming DRY_RUN and the --param, before anything reaches AWS', async () => {
    const error = await refused(...prodWith('dryRun=yes'));
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain('stage prod: DRY_RUN (--param dryRun): ');
  }, 130_000);

  // Run bare it checks every stage: one print each, its time allowed for each.
  it(
    'explains what it needs when run bare',
    async () => {
      const error = await refusedWithin(STAGES.length * PRINT_MS, []);
      expect(error?.code).toBe(1);
      expect(error?.stderr).toContain('usage: npm run validate -- [--stage S ...]');
      expect(error?.stderr).toContain(
        'stage dev: HUAWEICLOUD_SDK_PROJECT_ID (--param huaweicloudProjectId): is required',
      );
    },
    STAGES.length * PRINT_MS + 10_000,
  );

  it('checks the schedules parameter, naming the path inside it', async () => {
    const schedules = (timeZone: string) =>
      `schedules=${JSON.stringify({ office: { timeZone, windows: [{ days: ['Mon'], from: '08:00', to: '19:00', minServers: 4 }] } })}`;
    const error = await refused(...prodWith(schedules('Mars/Olympus')));
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain(
      'SCHEDULES.office.timeZone (--param schedules): expected an IANA time zone',
    );
    const { stdout } = await validate(
      ...prodWith(schedules('Asia/Shanghai'), 'defaultSchedule=office'),
    );
    expect(stdout).toBe('stage prod: ok\n');
  }, 130_000);

  it('rejects a bad budgets parameter in one line naming the path and the --param', async () => {
    const error = await refused(...prodWith('budgets=[{"max":"10%","per":"1h"},{"max":"ten"}]'));
    expect(error?.code).toBe(1);
    expect(error?.stderr.trim().split('\n')).toContain(
      'stage prod: BUDGETS[1].max (--param budgets): expected "N" or "N%"',
    );
  }, 130_000);

  it('checks the log-off parameters against the drain period, naming the variables', async () => {
    const logoff = (...more: string[]) =>
      validate(...prodWith('logoffDisconnectedAfterMinutes=60', ...more));
    const error = await logoff().then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(error?.code).toBe(1);
    expect(error?.stderr).toContain(
      'DRAIN_SECONDS (--param drainSeconds): must be at least LOGOFF_DELAY_SECONDS + 60 (360) when LOGOFF_DISCONNECTED_AFTER_MINUTES is set',
    );
    const { stdout } = await logoff('drainSeconds=360', 'logoffMessage=Logged off in 5 minutes.');
    expect(stdout).toBe('stage prod: ok\n');
  }, 130_000);

  it.each([
    [
      'an unknown stage',
      ['--stage', 'prdo', '--param', `huaweicloudProjectId=${PROJECT_ID}`],
      'stage prdo: unknown stage (serverless.yml params: names local, dev, prod; add a block there to create one)',
    ],
    [
      'a missing project id (an unset $PROJECT)',
      ['--stage', 'prod', '--param', 'huaweicloudProjectId='],
      '--param huaweicloudProjectId: empty value (is the shell variable you passed set?)',
    ],
    [
      'a bad value',
      prodWith('minServersPerGroup=two'),
      'stage prod: MIN_SERVERS_PER_GROUP (--param minServersPerGroup): expected a whole number',
    ],
    [
      'a misspelt parameter',
      prodWith('minServers=2'),
      '--param minServers: unknown parameter (docs/configuration.md lists every one)',
    ],
  ])(
    'refuses %s in one line, exit 1, no stack trace',
    async (_, args, line) => {
      const error = await refused(...args);
      expect(error?.code).toBe(1);
      expect(error?.stderr).toBe(`${line}\n`);
      expect(error?.stdout).toBe('');
    },
    130_000,
  );

  it('passes a stage whose parameters fit', async () => {
    const { stdout } = await validate(...prodWith());
    expect(stdout).toBe('stage prod: ok\n');
  }, 130_000);
});

// The schedule event, which the README's "Running locally" commands (tested in
// test/integration/readme/) do not replay. `invoke local` runs the bundle in
// another process on the real clock, so the simulator runs on it too.
describe('osls invoke local with events/schedule-change-freeze.json', () => {
  let sim: Simulator;
  let s3: LocalS3;
  let env: Record<string, string>;
  beforeAll(async () => {
    sim = await startSimulator({ clock: { now: 'real', rebase: true } });
    s3 = await startLocalS3();
    env = {
      APS_ENDPOINT: sim.url,
      ECS_ENDPOINT: sim.url,
      ...s3.env,
      // A frozen schedule drains nothing, so no drain table is needed.
      DRAIN_SECONDS: '0',
    };
  });
  afterAll(async () => {
    await s3.close();
    await sim.close();
  });

  it('sweep with events/schedule-change-freeze.json under the change-freeze schedule removes nothing and says why', async () => {
    const { result, logs } = await invokeLocal({
      fn: 'sweep',
      event: 'events/schedule-change-freeze.json',
      env: {
        ...env,
        SCHEDULES_FILE: 'schedules/example.json',
        DEFAULT_SCHEDULE: 'change-freeze',
      },
      timeoutMs: 90_000,
    });
    const report = result as SweepReport;
    expect(report.status).toBe('completed');
    expect(report.totals.plannedRemovals).toBe(0);
    expect(mutatingCalls(sim)).toEqual([]);
    const floor = logs.find((l) => l['audit'] === 'decision' && l['serverGroupId'] === 'sg-floor');
    expect(floor?.['settings']).toBe(
      'floor 1 from MIN_SERVERS_PER_GROUP; max-removals 0 from schedule change-freeze window Mon-Sun 00:00-24:00',
    );
  });
});
