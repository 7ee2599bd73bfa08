import type { DeployedSettings } from './deployed-sweep.ts';
import type { DynamoRun } from './dynamo.ts';
import { type BenchLine, fmt, line, round } from './lines.ts';

/**
 * Requests a drained server may cost at most where 20 drain a group: a
 * drained group costs a fixed handful (docs/performance.md: lease taken with
 * the records, confirmation, acting, end with the release), so 0.5 a server
 * holds from about 8 drained a group up.
 */
const PER_SERVER = 0.5;
/** Requests a drained group costs at 20 drained ÷ at 2: constant, with room for one lease renewal on a loaded machine. */
const FLAT = 1.1;
/** The servers drained a group in the runs the lines compare (bench/lib/dynamo.ts). */
export const DRAINED_A_GROUP = [2, 20] as const;
const [FEW, MANY] = DRAINED_A_GROUP;

/** Every request the local DynamoDB answered during a run. */
function total(r: DynamoRun): number {
  return Object.values(r.run.dynamoRequests).reduce((a, b) => a + b, 0);
}

function perGroup(r: DynamoRun): number {
  return r.run.actedGroups > 0 ? total(r) / r.run.actedGroups : Number.NaN;
}

function perServer(r: DynamoRun): number {
  return r.run.drained > 0 ? total(r) / r.run.drained : Number.NaN;
}

/** The run drained exactly what its fleet was made to drain, with no error. */
function complete(r: DynamoRun): boolean {
  return (
    r.run.status !== 'partial' &&
    r.run.errors === 0 &&
    r.run.actedGroups === r.groups &&
    r.run.drained === r.groups * r.perGroup
  );
}

function byOperation(r: DynamoRun): string {
  return Object.entries(r.run.dynamoRequests)
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([op, n]) => `${op} ${fmt(n)}`)
    .join(', ');
}

function describe(r: DynamoRun): string {
  return `${fmt(perGroup(r), 1)} a group, ${fmt(perServer(r), 2)} a server (${fmt(total(r))} requests: ${byOperation(r)}; ${fmt(r.run.drained)} drained in ${fmt(r.run.actedGroups)} groups)`;
}

/**
 * "DynamoDB requests per drained group" (20 ÷ 2 drained a group: the O(1)
 * claim, with and without a budget's ledger) and "… per drained server" at
 * 20 drained a group, from the acting sweeps of uniform idle fleets with the
 * drain on that bench/lib/dynamo.ts ran (`runDynamoBench`).
 */
export function dynamoLines(
  runs: readonly DynamoRun[],
  settings: Pick<DeployedSettings, 'drainSeconds' | 'removalMode'>,
): BenchLine[] {
  const find = (perGroupServers: number, budgets: boolean) => {
    const found = runs.find(
      (r) => r.perGroup === perGroupServers && (r.budgets !== '') === budgets,
    );
    if (found === undefined) throw new Error('DynamoDB run missing');
    return found;
  };
  const plain = { few: find(FEW, false), many: find(MANY, false) };
  const ledger = { few: find(FEW, true), many: find(MANY, true) };
  const ok = runs.every(complete);
  const { groups, seed } = plain.many;
  const inputs = `acting inline sweeps with the drain on (${settings.drainSeconds} s, REMOVAL_MODE ${settings.removalMode}, the bundled handler), each on a fresh simulator and drain table: ${fmt(groups)} groups (seed ${seed}) made uniform — every group's policy on, every server idle, in service and in its ECS group — with n + 1 servers a group, MIN_SERVERS_PER_GROUP 1 and MAX_REMOVALS_PER_GROUP n, so n drain in every group; every request the local DynamoDB answered, recovery's listing included; run without BUDGETS (the deployed default: no ledger request at all) and with ${runs.find((r) => r.budgets !== '')?.budgets} (never holds: the ledger's requests, not its verdicts)`;
  const flat = (p: { few: DynamoRun; many: DynamoRun }) => perGroup(p.many) / perGroup(p.few);
  return [
    line({
      name: `DynamoDB requests per drained group, ${MANY} ÷ ${FEW} drained a group`,
      inputs,
      value: round(Math.max(flat(plain), flat(ledger))),
      unit: 'ratio',
      shown: `${fmt(flat(plain), 2)} without BUDGETS (${MANY} a group: ${describe(plain.many)}; ${FEW} a group: ${describe(plain.few)}); ${fmt(flat(ledger), 2)} with a budget (${MANY}: ${describe(ledger.many)}; ${FEW}: ${describe(ledger.few)})`,
      target: { op: '<=', value: FLAT },
      met: ok,
      details: { runs: runs.map((r) => ({ ...r, run: { ...r.run } })) },
    }),
    line({
      name: `DynamoDB requests per drained server, ${MANY} drained a group`,
      inputs,
      value: round(perServer(plain.many)),
      unit: 'ratio',
      shown: `${fmt(perServer(plain.many), 2)} without BUDGETS; ${fmt(perServer(ledger.many), 2)} with a budget (its ledger: ${fmt(perGroup(ledger.many) - perGroup(plain.many), 1)} more a group)`,
      target: { op: '<=', value: PER_SERVER },
      met: ok,
    }),
  ];
}
