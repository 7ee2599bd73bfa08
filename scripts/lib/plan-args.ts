import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatIssues } from '../../lib/validation.ts';
import { parseWhatIf, type WhatIfSet } from '../../lib/what-if/overrides.ts';
import { type PriceTable, PriceTableSchema } from '../../lib/what-if/prices.ts';

export const PLAN_USAGE = `usage: npm run plan -- [--sim] [--fleet FILE | --size NxM [--seed S]]
                       [--what-if KEY=N,...]... [--prices FILE.json] [--out DIR]
                       [--at INSTANT]

Reads every server group and shows what a sweep would do, changing nothing.
Against the real cloud with HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK,
HUAWEICLOUD_SDK_PROJECT_ID, HUAWEICLOUD_SDK_REGION (and
HUAWEICLOUD_SDK_SECURITY_TOKEN for a temporary key); on the built-in
simulator with --sim, the default when no key is set.
  --sim              the built-in simulator (demo fleet unless --fleet/--size)
  --fleet FILE       a fleet JSON file for the simulator
  --size NxM         a generated fleet: N groups of M servers (--seed S, default 1)
  --what-if SET      re-evaluate the same data with e.g. shrink=15,threshold=70,min=2
                     (keys: shrink, threshold, min, maxPerGroup, maxPerSweep); repeatable
  --prices FILE      {"currency":"EUR","perServerHour":{"<product_id>":0.21},"default":0.2}
  --out DIR          where plan.json and plan.html go (default .reports/plan/)
  --at INSTANT       evaluate the data fetched now as at another instant, with
                     its offset: 2026-12-07T09:00+08:00, or "Mon 09:00+08:00" for
                     the next Monday 09:00 at that offset: checks a schedule's windows`;

/** A bad command line: the message names the option. */
export class PlanUsageError extends Error {
  override name = 'PlanUsageError';
}

export interface PlanArgs {
  help: boolean;
  sim: boolean;
  fleet?: string | undefined;
  size?: { groups: number; serversPerGroup: number; seed: number } | undefined;
  whatIf: WhatIfSet[];
  prices?: PriceTable | undefined;
  out: string;
  /** `--at`: the evaluation instant, epoch ms; undefined: now. */
  at?: number | undefined;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_MS = 86_400_000;

/** `Mon 09:00+08:00`: the first such wall-clock instant at that offset after `nowMs`; else undefined. */
function nextWeekday(text: string, nowMs: number): number | undefined {
  const m = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (\d{2}):(\d{2})(?:Z|([+-])(\d{2}):(\d{2}))$/.exec(text);
  if (m === null) return undefined;
  const offsetMs = (m[4] === '-' ? -1 : 1) * (Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0)) * 60_000;
  const wall = new Date(nowMs + offsetMs);
  const days = (WEEKDAYS.indexOf(m[1] as string) - wall.getUTCDay() + 7) % 7;
  const at =
    Date.UTC(
      wall.getUTCFullYear(),
      wall.getUTCMonth(),
      wall.getUTCDate(),
      Number(m[2]),
      Number(m[3]),
    ) -
    offsetMs +
    days * DAY_MS;
  return at > nowMs ? at : at + 7 * DAY_MS;
}

/**
 * `--at`: an ISO 8601 instant with its offset (Z or ±HH:MM), or a weekday,
 * time and offset (`Mon 09:00+08:00`, the next one); a local time alone is ambiguous.
 */
function parseAt(text: string, nowMs: number): number {
  const next = nextWeekday(text, nowMs);
  if (next !== undefined) return next;
  const at = Date.parse(text);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) ||
    Number.isNaN(at)
  ) {
    throw new PlanUsageError(
      `--at must be an instant with its offset, e.g. 2026-12-07T09:00+08:00 or "Mon 09:00+08:00"; got ${text}`,
    );
  }
  return at;
}

function readPrices(path: string): PriceTable {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PlanUsageError(`--prices ${path}: ${(error as Error).message}`);
  }
  const parsed = PriceTableSchema.safeParse(data);
  if (!parsed.success) {
    throw new PlanUsageError(`--prices ${path}: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}

/** Parses `npm run plan`'s arguments; throws PlanUsageError naming the bad option. */
export function parsePlanArgs(argv: readonly string[], nowMs = Date.now()): PlanArgs {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new PlanUsageError((error as Error).message);
  }
  const size = values.size;
  let parsedSize: PlanArgs['size'];
  if (size !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(size);
    if (m === null) throw new PlanUsageError(`--size must be NxM, e.g. 500x20; got ${size}`);
    const seed = Number(values.seed ?? '1');
    if (!Number.isSafeInteger(seed)) throw new PlanUsageError(`--seed must be a whole number`);
    parsedSize = { groups: Number(m[1]), serversPerGroup: Number(m[2]), seed };
  } else if (values.seed !== undefined) {
    throw new PlanUsageError('--seed goes with --size');
  }
  if (values.fleet !== undefined && parsedSize !== undefined) {
    throw new PlanUsageError('give --fleet or --size, not both');
  }
  let whatIf: WhatIfSet[];
  try {
    whatIf = (values['what-if'] ?? []).map(parseWhatIf);
  } catch (error) {
    throw new PlanUsageError(`--${(error as Error).message}`);
  }
  return {
    help: values.help === true,
    sim: values.sim === true || values.fleet !== undefined || parsedSize !== undefined,
    fleet: values.fleet,
    size: parsedSize,
    whatIf,
    prices: values.prices === undefined ? undefined : readPrices(values.prices),
    out: values.out ?? '.reports/plan/',
    at: values.at === undefined ? undefined : parseAt(values.at, nowMs),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      sim: { type: 'boolean' },
      fleet: { type: 'string' },
      size: { type: 'string' },
      seed: { type: 'string' },
      'what-if': { type: 'string', multiple: true },
      prices: { type: 'string' },
      out: { type: 'string' },
      at: { type: 'string' },
    },
  });
}
