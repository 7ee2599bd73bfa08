import { type BenchLine, fmt, line, round } from './lines.ts';
import type { MemoryRun } from './memory.ts';

/**
 * Requests a drained server may cost at most. Every drained group costs a
 * fixed handful (lease taken and released, record, confirmed maintenance,
 * acting, end: docs/performance.md), so the figure per server is that handful
 * ÷ the servers a group drains; 0.5 holds from about 12 a group up.
 */
const PER_SERVER = 0.5;

/**
 * "DynamoDB requests per drained server": every request the local DynamoDB
 * (dynalite) answered during the acting sweep with the drain on — recovery's
 * listing, leases, records, confirmations, acting, ends — ÷ the servers the
 * sweep drained and settled.
 */
export function dynamoLine(run: MemoryRun): BenchLine {
  const total = Object.values(run.dynamoRequests).reduce((a, b) => a + b, 0);
  const perServer = run.drained > 0 ? total / run.drained : Number.NaN;
  const perGroup = run.actedGroups > 0 ? total / run.actedGroups : Number.NaN;
  const byOperation = Object.entries(run.dynamoRequests)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${fmt(n)}`)
    .join(', ');
  return line({
    name: `DynamoDB requests per drained server at ${fmt(run.groups)} groups`,
    inputs: `the acting sweep of the memory line (${run.fleet}, drain on, REMOVAL_MODE remove-member, MAX_REMOVALS_PER_GROUP 10): every request the local DynamoDB answered during it ÷ the servers drained and settled (removed, found removed, or undone)`,
    value: round(perServer),
    unit: 'ratio',
    shown: `${fmt(perServer, 2)} (${fmt(total)} requests: ${byOperation}; ${fmt(run.drained)} servers drained in ${fmt(run.actedGroups)} groups, ${fmt(run.drained / Math.max(1, run.actedGroups), 1)} a group; ${fmt(perGroup, 1)} requests a drained group)`,
    target: { op: '<=', value: PER_SERVER },
    met: run.status !== 'partial' && run.errors === 0 && run.drained > 0,
    details: { requests: run.dynamoRequests, drained: run.drained, groups: run.actedGroups },
  });
}
