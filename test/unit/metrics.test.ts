import { describe, expect, it } from 'vitest';
import { METRIC, METRICS_NAMESPACE, REMOVAL_OUTCOMES } from '../../lib/metric-names.ts';
import {
  createMetrics,
  metricsOfBatch,
  metricsOfReport,
  publishMetrics,
} from '../../lib/metrics.ts';
import {
  groupReportFactory,
  removalFactory,
  sweepReportFactory,
} from '../helpers/report-factory.ts';

function report() {
  return sweepReportFactory(
    [
      groupReportFactory({
        memberReasons: { idle: 2, 'group-cap': 1, busy: 3 },
        removals: [
          removalFactory({ serverId: 'a' }),
          removalFactory({ serverId: 'b', outcome: 'failed', requestId: 'req-9' }),
        ],
      }),
      groupReportFactory({ serverGroupId: 'sg-2', decision: 'scale-out', recommendedScaleOut: 2 }),
      groupReportFactory({ serverGroupId: 'sg-3', decision: 'skip', error: 'GET … failed' }),
    ],
    { status: 'partial', errors: [{ projectId: 'p2', error: 'listing failed' }] },
  );
}

/** Captures the EMF lines a Metrics instance prints. */
function capture(stage = 'prod') {
  const metrics = createMetrics({ stage });
  const lines: Record<string, unknown>[] = [];
  (metrics as unknown as { console: { log: (line: string) => void } }).console = {
    log: (line: string) => lines.push(JSON.parse(line)),
  };
  return { metrics, lines };
}

describe('metricsOfReport', () => {
  it('counts groups, idle servers, every removal outcome, the status and API errors', () => {
    const points = metricsOfReport(report(), {
      serverHoursFreed: 24,
      estimatedMonthlySaving: 153.3,
    });
    const value = (name: string, dimension?: [string, string]) =>
      points.find(
        (p) =>
          p.name === name &&
          (dimension === undefined
            ? p.dimensions === undefined
            : p.dimensions?.[dimension[0]] === dimension[1]),
      )?.value;
    expect(value(METRIC.groupsEvaluated)).toBe(3);
    // 2 idle + 1 held by the group cap, plus 2 idle in each of the other two groups.
    expect(value(METRIC.serversIdle)).toBe(7);
    expect(value(METRIC.removals, ['Outcome', 'removed'])).toBe(1);
    expect(value(METRIC.removals, ['Outcome', 'failed'])).toBe(1);
    expect(value(METRIC.removals, ['Outcome', 'drain-undone'])).toBe(0);
    expect(value(METRIC.sweeps, ['Status', 'partial'])).toBe(1);
    expect(value(METRIC.sweeps, ['Status', 'completed'])).toBe(0);
    expect(value(METRIC.apiErrors)).toBe(3);
    expect(value(METRIC.throttles)).toBe(1);
    expect(value(METRIC.retries)).toBe(2);
    expect(value(METRIC.serverHoursFreed)).toBe(24);
    expect(value(METRIC.estimatedMonthlySaving)).toBe(153.3);
    expect(points.filter((p) => p.name === METRIC.removals)).toHaveLength(REMOVAL_OUTCOMES.length);
  });
});

describe('publishMetrics', () => {
  it('writes EMF in one namespace with service and stage on every line and one dimension set per line', () => {
    const { metrics, lines } = capture();
    publishMetrics(metrics, metricsOfReport(report()));
    expect(lines.length).toBe(1 + REMOVAL_OUTCOMES.length + 3);
    for (const line of lines) {
      const aws = line._aws as {
        CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[];
      };
      expect(aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
      expect(line.service).toBe('aps-autoscaler');
      expect(line.stage).toBe('prod');
      expect(aws.CloudWatchMetrics[0]?.Dimensions[0]?.length).toBeLessThanOrEqual(3);
    }
    const failed = lines.find((l) => l.Outcome === 'failed');
    expect(failed?.Removals).toBe(1);
    const partial = lines.find((l) => l.Status === 'partial');
    expect(partial?.Sweeps).toBe(1);
    // An outcome dimension never lands on the sweep status line.
    expect(partial?.Outcome).toBeUndefined();
  });

  it('writes the dead-lettered count of a remediation batch', () => {
    const { metrics, lines } = capture();
    publishMetrics(metrics, metricsOfBatch({ deadLettered: 2, outcomes: { 'drain-undone': 1 } }));
    expect(lines.find((l) => 'DeadLettered' in l)?.DeadLettered).toBe(2);
    expect(lines.find((l) => l.Outcome === 'drain-undone')?.Removals).toBe(1);
  });
});
