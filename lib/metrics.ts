import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  type MetricName,
  REMOVAL_OUTCOMES,
  SWEEP_STATUSES,
} from './metric-names.ts';
import type { SweepReport } from './sweep/report.ts';

/** One value to emit; `dimensions` beyond the default `service` and `stage`. */
export interface MetricPoint {
  name: MetricName;
  value: number;
  unit: 'Count' | 'None';
  dimensions?: Record<string, string>;
}

/** What a sweep freed (lib/savings.ts), when the caller has worked it out. */
export interface ReportSavings {
  serverHoursFreed: number;
  estimatedMonthlySaving?: number | undefined;
}

/** Member reasons that mean "idle", whether removed or held by the floor, a cap or anti-flap. */
const IDLE_REASONS = ['idle', 'floor', 'group-cap', 'anti-flap'];

/**
 * The metrics of one sweep report: groups evaluated, idle servers (of the
 * groups listed in the report), removals by outcome (every outcome, zeros
 * included, so alarms see data), would-remove, the sweep status (1 for the
 * status it ended in, 0 for the others), API errors (listing errors, group
 * errors and failed removals), throttles, retries, when the report has them
 * the history failures (0 or 1) and storm warnings (lib/history/), and, when
 * given, the server-hours freed and estimated monthly saving.
 */
export function metricsOfReport(report: SweepReport, savings?: ReportSavings): MetricPoint[] {
  const outcomes = report.totals.outcomes as Partial<Record<string, number>>;
  const idle = report.groups.reduce(
    (sum, group) =>
      sum + IDLE_REASONS.reduce((n, reason) => n + (group.memberReasons[reason] ?? 0), 0),
    0,
  );
  const apiErrors =
    report.errors.length +
    report.groups.filter((group) => group.error !== undefined).length +
    (outcomes.failed ?? 0);
  const count = (name: MetricName, value: number, dimensions?: Record<string, string>) =>
    dimensions === undefined
      ? { name, value, unit: 'Count' as const }
      : { name, value, unit: 'Count' as const, dimensions };
  const points: MetricPoint[] = [
    count(METRIC.groupsEvaluated, report.totals.groups),
    count(METRIC.serversIdle, idle),
    count(METRIC.wouldRemove, outcomes['would-remove'] ?? 0),
    count(METRIC.apiErrors, apiErrors),
    count(METRIC.throttles, report.requests.throttled),
    count(METRIC.retries, report.requests.retries),
    ...REMOVAL_OUTCOMES.map((outcome) =>
      count(METRIC.removals, outcomes[outcome] ?? 0, { [DIMENSION.outcome]: outcome }),
    ),
    ...SWEEP_STATUSES.map((status) =>
      count(METRIC.sweeps, report.status === status ? 1 : 0, { [DIMENSION.status]: status }),
    ),
  ];
  if (report.history !== undefined) {
    points.push(count(METRIC.historyFailures, report.history.error === undefined ? 0 : 1));
  }
  if (report.stormWarnings !== undefined) {
    points.push(count(METRIC.stormWarnings, report.stormWarnings.length));
  }
  if (savings !== undefined) {
    points.push(count(METRIC.serverHoursFreed, savings.serverHoursFreed));
    if (savings.estimatedMonthlySaving !== undefined) {
      points.push({
        name: METRIC.estimatedMonthlySaving,
        value: savings.estimatedMonthlySaving,
        unit: 'None',
      });
    }
  }
  return points;
}

/**
 * The metrics of one remediation batch: records dead-lettered, records handed
 * back to SQS after a transient failure (counted as API errors), removals
 * by outcome, and, when the batch kept demand history (fanout), its history
 * failures (0 or 1).
 */
export function metricsOfBatch(batch: {
  deadLettered: number;
  failed?: number;
  outcomes?: Partial<Record<string, number>>;
  history?: { error?: string | undefined } | undefined;
}): MetricPoint[] {
  const points: MetricPoint[] = [
    { name: METRIC.deadLettered, value: batch.deadLettered, unit: 'Count' },
  ];
  if (batch.history !== undefined) {
    const value = batch.history.error === undefined ? 0 : 1;
    points.push({ name: METRIC.historyFailures, value, unit: 'Count' });
  }
  if (batch.failed !== undefined) {
    points.push({ name: METRIC.apiErrors, value: batch.failed, unit: 'Count' });
  }
  for (const [outcome, value] of Object.entries(batch.outcomes ?? {})) {
    if (value !== undefined) {
      points.push({
        name: METRIC.removals,
        value,
        unit: 'Count',
        dimensions: { [DIMENSION.outcome]: outcome },
      });
    }
  }
  return points;
}

export interface CreateMetricsOptions {
  stage: string;
}

/** The Powertools Metrics instance: one namespace, default dimensions `service` and `stage`. */
export function createMetrics(options: CreateMetricsOptions): Metrics {
  return new Metrics({
    namespace: METRICS_NAMESPACE,
    serviceName: METRICS_SERVICE,
    defaultDimensions: { [DIMENSION.stage]: options.stage },
  });
}

/**
 * Writes `points` as EMF lines through `metrics` and flushes them: one line
 * per dimension set, so a dimension never leaks onto another metric.
 */
export function publishMetrics(metrics: Metrics, points: readonly MetricPoint[]): void {
  const sets = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const key = JSON.stringify(point.dimensions ?? {});
    const set = sets.get(key) ?? [];
    set.push(point);
    sets.set(key, set);
  }
  for (const [key, set] of sets) {
    const dimensions = JSON.parse(key) as Record<string, string>;
    if (Object.keys(dimensions).length > 0) metrics.addDimensions(dimensions);
    for (const point of set) {
      metrics.addMetric(
        point.name,
        point.unit === 'Count' ? MetricUnit.Count : MetricUnit.NoUnit,
        point.value,
      );
    }
    metrics.publishStoredMetrics();
  }
}
