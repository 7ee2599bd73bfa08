import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  environmentOf,
  type PrintedService,
  paramsOfVariables,
  problemsOfStage,
} from '../../../scripts/lib/stage-validation.ts';

function printed(env: Record<string, unknown>, retentionDays: unknown = '90'): PrintedService {
  return {
    provider: {
      environment: {
        HUAWEICLOUD_SDK_AK_PARAMETER: '/aps-autoscaler/prod/huaweicloud-ak',
        HUAWEICLOUD_SDK_SK_PARAMETER: '/aps-autoscaler/prod/huaweicloud-sk',
        HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
        DRY_RUN: 'true',
        REPORT_BUCKET: { Ref: 'ReportBucket' },
        REMEDIATION_QUEUE_URL: { Ref: 'RemediationQueue' },
        DRAIN_TABLE_NAME: { Ref: 'DrainTable' },
        ...env,
      },
    },
    resources: {
      Resources: {
        ReportBucket: {
          Properties: { LifecycleConfiguration: { Rules: [{ ExpirationInDays: retentionDays }] } },
        },
      },
    },
  };
}

describe('problemsOfStage', () => {
  it('passes a stage with good parameters, references standing in as placeholders', () => {
    expect(problemsOfStage(printed({}))).toEqual([]);
    expect(environmentOf(printed({})).REPORT_BUCKET).toBe('placeholder-report-bucket');
  });

  it.each([
    [{ DRY_RUN: 'yes' }, 'DRY_RUN: '],
    [{ HUAWEICLOUD_SDK_PROJECT_ID: '' }, 'HUAWEICLOUD_SDK_PROJECT_ID: is required'],
    [{ HOURLY_PRICE_BY_FLAVOR: '{"a":"cheap"}' }, 'HOURLY_PRICE_BY_FLAVOR: '],
    [{ SWEEP_MODE: 'parallel' }, 'SWEEP_MODE: '],
  ])('names the variable of a bad parameter %j', (env, message) => {
    expect(problemsOfStage(printed(env)).join('; ')).toContain(message);
  });

  it.each([
    [{ DRY_RUN: 'yes' }, 'DRY_RUN (--param dryRun): '],
    [
      { HUAWEICLOUD_SDK_PROJECT_ID: '' },
      'HUAWEICLOUD_SDK_PROJECT_ID (--param huaweicloudProjectId): is required',
    ],
    [{ DRAIN_SECONDS: 'soon' }, 'DRAIN_SECONDS (--param drainSeconds): '],
    [{ BUDGETS: '[{"max":"ten"}]' }, 'BUDGETS[0].max (--param budgets): expected "N" or "N%"'],
  ])('names the --param serverless.yml sets a bad variable from, for %j', (env, message) => {
    const params = paramsOfVariables(
      readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8'),
    );
    expect(problemsOfStage(printed(env), params).join('; ')).toContain(message);
  });

  it('gives each bad parameter its own line, naming its --param', () => {
    const params = paramsOfVariables(
      readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8'),
    );
    expect(
      problemsOfStage(printed({ MIN_SERVERS_PER_GROUP: 'two', REMOVAL_MODE: 'delete' }), params),
    ).toEqual([
      expect.stringMatching(/^REMOVAL_MODE \(--param removalMode\): /),
      'MIN_SERVERS_PER_GROUP (--param minServersPerGroup): expected a whole number',
    ]);
  });

  it.each([['0'], ['ninety'], ['']])('refuses reportRetentionDays %j', (days) => {
    expect(problemsOfStage(printed({}, days))).toEqual([
      'reportRetentionDays: expected a whole number of days from 1 to 3650',
    ]);
  });
});
