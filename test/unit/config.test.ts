import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  endpointsForRegion,
  evaluationLimitsOf,
  loadConfig,
  loadSettings,
} from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

const SK = 'SKvalueThatMustNeverAppear0123456789abcd';
const BASE = {
  HUAWEICLOUD_SDK_AK: 'AKCONFIGTEST00000001',
  HUAWEICLOUD_SDK_SK: SK,
  HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  DRAIN_TABLE_NAME: 'aps-autoscaler-drain-test',
};

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const credentials = { ak: BASE.HUAWEICLOUD_SDK_AK, sk: SK, securityToken: undefined };
    expect(loadConfig(BASE)).toEqual({
      credentials,
      credentialSource: { kind: 'env', credentials },
      credentialsCacheSeconds: 300,
      failOnErrors: false,
      reportBucket: undefined,
      hourlyPriceByFlavor: undefined,
      stage: 'local',
      projectId: BASE.HUAWEICLOUD_SDK_PROJECT_ID,
      region: 'cn-north-4',
      apsEndpoint: 'https://appstream.cn-north-4.myhuaweicloud.com',
      ecsEndpoint: 'https://ecs.cn-north-4.myhuaweicloud.com',
      dryRun: false,
      removalMode: 'remove-member',
      enterpriseProjectId: undefined,
      minServersPerGroup: 1,
      maxRemovalsPerGroup: 10,
      maxRemovalsPerSweep: 50,
      protectTagKey: 'aps-autoscaler:protect',
      sessionLookbackHours: 24,
      sweepMode: 'inline',
      remediationQueueUrl: undefined,
      deadLetterQueueUrl: undefined,
      maxConcurrency: 8,
      rateLimitRps: 20,
      httpTimeoutMs: 10_000,
      drainSeconds: 120,
      drainTableName: 'aps-autoscaler-drain-test',
      schedules: { schedules: {}, defaultSchedule: undefined },
      budgets: [],
      logoff: undefined,
      learnedFloors: 'warn',
      historyWeeks: 4,
      churn: { minServerAgeMinutes: 0, scaleOutCooldownMinutes: 0 },
    });
  });

  it('drains 120 s by default and needs DRAIN_TABLE_NAME for it', () => {
    const { DRAIN_TABLE_NAME: _, ...noTable } = BASE;
    expect(configError(noTable).message).toContain('DRAIN_TABLE_NAME: is required');
    expect(configError({ ...noTable, DRAIN_SECONDS: '' }).message).toContain('DRAIN_TABLE_NAME');
    expect(loadConfig({ ...noTable, DRAIN_SECONDS: '0' })).toMatchObject({
      drainSeconds: 0,
      drainTableName: undefined,
    });
    expect(loadConfig({ ...BASE, DRAIN_SECONDS: '900' }).drainSeconds).toBe(900);
    expect(configError({ ...BASE, DRAIN_SECONDS: '901' }).message).toContain('DRAIN_SECONDS');
    expect(configError({ ...BASE, DRAIN_TABLE_NAME: 'a b' }).message).toContain('DRAIN_TABLE_NAME');
  });

  it.each([
    ['cn-north-4', 'https://appstream.cn-north-4.myhuaweicloud.com'],
    ['cn-east-3', 'https://appstream.cn-east-3.myhuaweicloud.com'],
    ['cn-southwest-2', 'https://appstream.cn-southwest-2.myhuaweicloud.com'],
    ['ap-southeast-1', 'https://workspace.ap-southeast-1.myhuaweicloud.com'],
    ['af-south-1', 'https://workspace.af-south-1.myhuaweicloud.com'],
    ['cn-east-5', 'https://workspace.cn-east-5.myhuaweicloud.com'],
  ])('picks the APS endpoint of %s', (region, aps) => {
    const config = loadConfig({ ...BASE, HUAWEICLOUD_SDK_REGION: region });
    expect(config.apsEndpoint).toBe(aps);
    expect(config.ecsEndpoint).toBe(`https://ecs.${region}.myhuaweicloud.com`);
    expect(endpointsForRegion(region)).toEqual({ aps, ecs: config.ecsEndpoint });
  });

  it('takes every override', () => {
    const config = loadConfig({
      ...BASE,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'tok',
      HUAWEICLOUD_SDK_REGION: 'ap-southeast-3',
      APS_ENDPOINT: 'http://127.0.0.1:9000/',
      ECS_ENDPOINT: 'https://ecs.private.example.com',
      DRY_RUN: 'TRUE',
      REMOVAL_MODE: 'release',
      MIN_SERVERS_PER_GROUP: '0',
      MAX_REMOVALS_PER_GROUP: '3',
      MAX_REMOVALS_PER_SWEEP: '7',
      PROTECT_TAG_KEY: 'keep',
      SESSION_LOOKBACK_HOURS: '48',
      SWEEP_MODE: 'fanout',
      REMEDIATION_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
      MAX_CONCURRENCY: '2',
      RATE_LIMIT_RPS: '0',
      HTTP_TIMEOUT_MS: '2500',
    });
    expect(config).toMatchObject({
      credentials: { securityToken: 'tok' },
      region: 'ap-southeast-3',
      apsEndpoint: 'http://127.0.0.1:9000',
      ecsEndpoint: 'https://ecs.private.example.com',
      dryRun: true,
      removalMode: 'release',
      minServersPerGroup: 0,
      maxRemovalsPerGroup: 3,
      maxRemovalsPerSweep: 7,
      protectTagKey: 'keep',
      sessionLookbackHours: 48,
      sweepMode: 'fanout',
      remediationQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
      maxConcurrency: 2,
      rateLimitRps: 0,
      httpTimeoutMs: 2500,
    });
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ ...BASE, DRY_RUN: '', MAX_CONCURRENCY: '  ', APS_ENDPOINT: '' });
    expect(config.dryRun).toBe(false);
    expect(config.maxConcurrency).toBe(8);
    expect(config.apsEndpoint).toBe('https://appstream.cn-north-4.myhuaweicloud.com');
  });

  it.each([
    ['MIN_SERVERS_PER_GROUP', '-1'],
    ['MAX_REMOVALS_PER_GROUP', '-3'],
    ['MAX_REMOVALS_PER_SWEEP', '-1'],
    ['MAX_CONCURRENCY', '0'],
    ['RATE_LIMIT_RPS', '-5'],
    ['HTTP_TIMEOUT_MS', '1.5'],
    ['SESSION_LOOKBACK_HOURS', 'ten'],
    ['APS_ENDPOINT', 'not a url'],
    ['ECS_ENDPOINT', 'ftp://ecs.example.com'],
    ['REMEDIATION_QUEUE_URL', 'queue'],
    ['REMOVAL_MODE', 'delete'],
    ['ENTERPRISE_PROJECT_ID', 'eps id!'],
    ['SWEEP_MODE', 'parallel'],
    ['DRY_RUN', 'yes'],
    ['HUAWEICLOUD_SDK_REGION', 'Mars'],
    ['HUAWEICLOUD_SDK_PROJECT_ID', 'a b'],
  ])('names %s when it is %j, and never echoes the SK', (name, value) => {
    const error = configError({ ...BASE, [name]: value });
    expect(error.message).toContain(`${name}: `);
    expect(error.message).not.toContain(SK);
    expect(String(error)).not.toContain(SK);
    expect(JSON.stringify(error)).not.toContain(SK);
  });

  it.each(['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK', 'HUAWEICLOUD_SDK_PROJECT_ID'])(
    'says %s is required when it is missing',
    (name) => {
      const error = configError({ ...BASE, [name]: undefined });
      expect(error.message).toContain(`${name}: is required`);
      expect(error.message).not.toContain(SK);
    },
  );

  it('names every bad variable at once', () => {
    const error = configError({
      ...BASE,
      HUAWEICLOUD_SDK_AK: undefined,
      REMOVAL_MODE: 'x',
      MAX_CONCURRENCY: '-1',
    });
    expect(error.message).toMatch(/HUAWEICLOUD_SDK_AK: is required/);
    expect(error.message).toMatch(/REMOVAL_MODE: /);
    expect(error.message).toMatch(/MAX_CONCURRENCY: /);
  });
});

describe('loadSettings', () => {
  const PROJECT = {
    HUAWEICLOUD_SDK_PROJECT_ID: BASE.HUAWEICLOUD_SDK_PROJECT_ID,
    DRAIN_TABLE_NAME: BASE.DRAIN_TABLE_NAME,
  };
  function settingsError(env: Record<string, string | undefined>): string {
    try {
      loadSettings(env);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    throw new Error('expected a ConfigError');
  }

  it('reads the key pair from SSM when the parameter names are given, and holds no value', () => {
    const settings = loadSettings({
      ...PROJECT,
      HUAWEICLOUD_SDK_AK_PARAMETER: '/aps-autoscaler/prod/huaweicloud-ak',
      HUAWEICLOUD_SDK_SK_PARAMETER: '/aps-autoscaler/prod/huaweicloud-sk',
      CREDENTIALS_CACHE_SECONDS: '60',
    });
    expect(settings.credentialSource).toEqual({
      kind: 'ssm',
      ak: { parameter: '/aps-autoscaler/prod/huaweicloud-ak' },
      skParameter: '/aps-autoscaler/prod/huaweicloud-sk',
      securityToken: undefined,
    });
    expect(settings.credentialsCacheSeconds).toBe(60);
  });

  it('prefers a Secrets Manager secret when one is named', () => {
    expect(
      loadSettings({ ...PROJECT, HUAWEICLOUD_SDK_SECRET_ID: 'aps/prod' }).credentialSource,
    ).toEqual({ kind: 'secrets-manager', secretId: 'aps/prod' });
  });

  it('names both ways to give the key pair when neither is given', () => {
    expect(settingsError({ ...PROJECT, HUAWEICLOUD_SDK_SK: SK })).toBe(
      'invalid configuration: HUAWEICLOUD_SDK_AK: is required, or read the key pair at run time with HUAWEICLOUD_SDK_SK_PARAMETER (SSM) or HUAWEICLOUD_SDK_SECRET_ID (Secrets Manager)',
    );
  });

  it('asks for the AK parameter beside the SK parameter', () => {
    expect(settingsError({ ...PROJECT, HUAWEICLOUD_SDK_SK_PARAMETER: '/a/sk' })).toContain(
      'HUAWEICLOUD_SDK_AK_PARAMETER: is required',
    );
  });

  it('refuses a synchronous loadConfig when the key pair is read at run time', () => {
    expect(() => loadConfig({ ...PROJECT, HUAWEICLOUD_SDK_SECRET_ID: 'aps/prod' })).toThrow(
      /read at run time from secrets-manager/,
    );
  });

  it('reads ENTERPRISE_PROJECT_ID (unset or empty: the API default scope)', () => {
    expect(loadConfig({ ...BASE, ENTERPRISE_PROJECT_ID: 'eps-1' }).enterpriseProjectId).toBe(
      'eps-1',
    );
    expect(loadConfig({ ...BASE, ENTERPRISE_PROJECT_ID: '0' }).enterpriseProjectId).toBe('0');
    expect(loadConfig({ ...BASE, ENTERPRISE_PROJECT_ID: '' }).enterpriseProjectId).toBeUndefined();
  });

  it('parses the price table, FAIL_ON_ERRORS, REPORT_BUCKET and STAGE', () => {
    const settings = loadSettings({
      ...BASE,
      HOURLY_PRICE_BY_FLAVOR: '{"workspace.x.large":0.25,"workspace.x.small":0}',
      FAIL_ON_ERRORS: 'true',
      REPORT_BUCKET: 'aps-autoscaler-prod-reports',
      STAGE: 'prod',
    });
    expect(settings.hourlyPriceByFlavor).toEqual({
      'workspace.x.large': 0.25,
      'workspace.x.small': 0,
    });
    expect(settings.failOnErrors).toBe(true);
    expect(settings.reportBucket).toBe('aps-autoscaler-prod-reports');
    expect(settings.stage).toBe('prod');
  });

  it.each([
    [
      'HOURLY_PRICE_BY_FLAVOR',
      '{oops',
      'HOURLY_PRICE_BY_FLAVOR: expected JSON such as {"flavor-id": 0.21}',
    ],
    ['HOURLY_PRICE_BY_FLAVOR', '{"f":-1}', 'HOURLY_PRICE_BY_FLAVOR: '],
    ['HOURLY_PRICE_BY_FLAVOR', '[1,2]', 'HOURLY_PRICE_BY_FLAVOR: expected a JSON object'],
    ['FAIL_ON_ERRORS', 'yes', 'FAIL_ON_ERRORS: '],
    ['REPORT_BUCKET', 'Not_A_Bucket', 'REPORT_BUCKET: expected an S3 bucket name'],
    [
      'HUAWEICLOUD_SDK_SK_PARAMETER',
      'no-slash',
      'HUAWEICLOUD_SDK_SK_PARAMETER: expected an SSM parameter name',
    ],
    ['CREDENTIALS_CACHE_SECONDS', '-1', 'CREDENTIALS_CACHE_SECONDS: '],
  ])('names %s when it is %s', (name, value, message) => {
    expect(settingsError({ ...BASE, [name]: value })).toContain(message);
  });
});

const SCHEDULES = {
  'business-hours': {
    timeZone: 'Asia/Shanghai',
    holidays: ['2026-12-25'],
    windows: [
      { days: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri'], from: '08:00', to: '19:00', minServers: 5 },
      { days: ['Sat'], from: '09:00', to: '13:00', minServers: 2, maxRemovalsPerGroup: 0 },
    ],
  },
};

describe('schedules and log-off settings', () => {
  it('parses SCHEDULES and DEFAULT_SCHEDULE', () => {
    const config = loadConfig({
      ...BASE,
      SCHEDULES: JSON.stringify(SCHEDULES),
      DEFAULT_SCHEDULE: 'business-hours',
    });
    expect(config.schedules).toEqual({ schedules: SCHEDULES, defaultSchedule: 'business-hours' });
  });

  it.each([
    [
      { 'business-hours': { ...SCHEDULES['business-hours'], timeZone: 'Mars/Olympus' } },
      'SCHEDULES.business-hours.timeZone: expected an IANA time zone',
    ],
    [
      {
        b: {
          timeZone: 'UTC',
          windows: [{ days: ['Mon'], from: '8:00', to: '19:00', minServers: 1 }],
        },
      },
      'SCHEDULES.b.windows[0].from: expected a time HH:MM',
    ],
    [
      {
        b: {
          timeZone: 'UTC',
          windows: [{ days: ['Mon'], from: '08:00', to: '08:00', minServers: 1 }],
        },
      },
      'SCHEDULES.b.windows[0].to: from and to must differ',
    ],
    [
      {
        b: {
          timeZone: 'UTC',
          windows: [{ days: ['Mo'], from: '08:00', to: '09:00', minServers: 1 }],
        },
      },
      'SCHEDULES.b.windows[0].days[0]',
    ],
    [
      {
        b: {
          timeZone: 'UTC',
          holidays: ['25.12.2026'],
          windows: [{ days: ['Mon'], from: '08:00', to: '09:00', minServers: 1 }],
        },
      },
      'SCHEDULES.b.holidays[0]: expected a date YYYY-MM-DD',
    ],
    [
      {
        'a{json}': {
          timeZone: 'UTC',
          windows: [{ days: ['Mon'], from: '08:00', to: '09:00', minServers: 1 }],
        },
      },
      'SCHEDULES.a{json}: Invalid key',
    ],
  ])('names the path of a bad schedule (%#)', (schedules, message) => {
    expect(configError({ ...BASE, SCHEDULES: JSON.stringify(schedules) }).message).toContain(
      message,
    );
  });

  it('rejects SCHEDULES that is not JSON, and a DEFAULT_SCHEDULE naming no schedule', () => {
    expect(configError({ ...BASE, SCHEDULES: '{' }).message).toContain('SCHEDULES: expected JSON');
    expect(
      configError({ ...BASE, SCHEDULES: JSON.stringify(SCHEDULES), DEFAULT_SCHEDULE: 'nights' })
        .message,
    ).toContain('DEFAULT_SCHEDULE: names no schedule of SCHEDULES (known: business-hours)');
  });

  it('reads SCHEDULES_FILE, naming the path of a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'schedules-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, JSON.stringify(SCHEDULES));
    writeFileSync(bad, JSON.stringify({ b: { timeZone: 'UTC', windows: [] } }));
    expect(loadConfig({ ...BASE, SCHEDULES_FILE: good }).schedules.schedules).toEqual(SCHEDULES);
    expect(configError({ ...BASE, SCHEDULES_FILE: bad }).message).toContain(
      'SCHEDULES_FILE.b.windows',
    );
    expect(configError({ ...BASE, SCHEDULES_FILE: join(dir, 'none.json') }).message).toContain(
      'SCHEDULES_FILE: ',
    );
    expect(
      configError({ ...BASE, SCHEDULES_FILE: good, SCHEDULES: JSON.stringify(SCHEDULES) }).message,
    ).toContain('not both');
  });

  it('reads BUDGETS against SCHEDULES, naming the path of a bad budget', () => {
    const budgets = loadConfig({
      ...BASE,
      SCHEDULES: JSON.stringify(SCHEDULES),
      BUDGETS: '[{"max":"10%","per":"1h"},{"max":"2","schedule":"business-hours"}]',
    }).budgets;
    expect(budgets.map((b) => b.name)).toEqual([
      'BUDGETS[0] (10% per 1h, group)',
      'BUDGETS[1] (2 at once, group, during business-hours)',
    ]);
    expect(loadConfig(BASE).budgets).toEqual([]);
    expect(configError({ ...BASE, BUDGETS: '[{"max":"ten"}]' }).message).toContain(
      'BUDGETS[0].max: expected "N" or "N%"',
    );
    expect(configError({ ...BASE, BUDGETS: '[{"max":"1","schedule":"night"}]' }).message).toContain(
      'BUDGETS[0].schedule: no schedule "night" in SCHEDULES',
    );
    expect(configError({ ...BASE, BUDGETS: '{oops' }).message).toContain('BUDGETS: expected JSON');
    const noTable = {
      ...BASE,
      DRAIN_SECONDS: '0',
      DRAIN_TABLE_NAME: undefined,
      BUDGETS: '[{"max":"1"}]',
    };
    expect(configError(noTable).message).toContain('BUDGETS: needs DRAIN_TABLE_NAME');
    expect(loadConfig({ ...noTable, DRY_RUN: 'true' }).budgets).toHaveLength(1);
  });

  it('reads BUDGETS_FILE, naming the path of a bad value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'budgets-'));
    const good = join(dir, 'good.json');
    const bad = join(dir, 'bad.json');
    writeFileSync(good, '[{"max":"2"}]');
    writeFileSync(bad, '[{"max":"2","per":"1w"}]');
    expect(loadConfig({ ...BASE, BUDGETS_FILE: good }).budgets[0]?.max).toEqual({ count: 2 });
    expect(configError({ ...BASE, BUDGETS_FILE: bad }).message).toContain('BUDGETS_FILE[0].per');
    expect(configError({ ...BASE, BUDGETS_FILE: good, BUDGETS: '[]' }).message).toContain(
      'not both',
    );
  });

  it('turns log-off on only with LOGOFF_DISCONNECTED_AFTER_MINUTES', () => {
    expect(loadConfig({ ...BASE, LOGOFF_DELAY_SECONDS: '60' }).logoff).toBeUndefined();
    expect(
      loadConfig({
        ...BASE,
        LOGOFF_DISCONNECTED_AFTER_MINUTES: '120',
        LOGOFF_MESSAGE: 'bye',
        DRAIN_SECONDS: '360',
      }).logoff,
    ).toEqual({ disconnectedAfterMinutes: 120, message: 'bye', delaySeconds: 300 });
    expect(configError({ ...BASE, LOGOFF_DISCONNECTED_AFTER_MINUTES: '0' }).message).toContain(
      'LOGOFF_DISCONNECTED_AFTER_MINUTES',
    );
    expect(configError({ ...BASE, LOGOFF_DELAY_SECONDS: '3601' }).message).toContain(
      'LOGOFF_DELAY_SECONDS',
    );
  });

  it('needs a drain period covering the log-off delay and its margin', () => {
    const on = { ...BASE, LOGOFF_DISCONNECTED_AFTER_MINUTES: '60', LOGOFF_DELAY_SECONDS: '300' };
    for (const drain of ['359', '120', '0']) {
      const message = configError({ ...on, DRAIN_SECONDS: drain }).message;
      expect(message).toContain('DRAIN_SECONDS: must be at least LOGOFF_DELAY_SECONDS + 60 (360)');
      expect(message).toContain('LOGOFF_DISCONNECTED_AFTER_MINUTES');
    }
    expect(configError(on).message).toContain('DRAIN_SECONDS');
    expect(loadConfig({ ...on, DRAIN_SECONDS: '360' }).drainSeconds).toBe(360);
    expect(loadConfig({ ...on, LOGOFF_DELAY_SECONDS: '0', DRAIN_SECONDS: '60' }).logoff).toEqual(
      expect.objectContaining({ delaySeconds: 0 }),
    );
    expect(loadConfig({ ...BASE, DRAIN_SECONDS: '0' }).logoff).toBeUndefined();
    expect(
      configError({ ...on, LOGOFF_DELAY_SECONDS: '900', DRAIN_SECONDS: '900' }).message,
    ).toContain('LOGOFF_DELAY_SECONDS must be at most 840');
  });
});

describe('the churn guard settings', () => {
  it('reads MIN_SERVER_AGE_MINUTES and SCALE_OUT_COOLDOWN_MINUTES into the evaluation limits', () => {
    const config = loadConfig({
      ...BASE,
      MIN_SERVER_AGE_MINUTES: '45',
      SCALE_OUT_COOLDOWN_MINUTES: '30',
    });
    expect(evaluationLimitsOf(config).churn).toEqual({
      minServerAgeMinutes: 45,
      scaleOutCooldownMinutes: 30,
    });
  });

  it.each(['MIN_SERVER_AGE_MINUTES', 'SCALE_OUT_COOLDOWN_MINUTES'])(
    'names %s when it is bad',
    (name) => {
      expect(configError({ ...BASE, [name]: '10081' }).message).toContain(name);
      expect(configError({ ...BASE, [name]: 'soon' }).message).toContain(name);
    },
  );
});
