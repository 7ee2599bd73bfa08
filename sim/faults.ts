import * as z from 'zod';
import { mulberry32 } from './prng.ts';
import { ROUTE_KEYS, type RouteKey } from './route-table.ts';

export { MUTATING_ROUTES, ROUTE_KEYS, type RouteKey } from './route-table.ts';

/** Faults that replace the normal answer, in the order their probability bands are laid out. */
export const PROBABILISTIC_FAULTS = [
  'error500',
  'error503',
  'hang',
  'reset',
  'malformed',
  'schemaViolation',
  // The route runs (a mutating one changes the fleet), then its answer is lost.
  'commitThenReset',
  'commitThenHang',
  'commitThen500',
  'commitThenJunk',
] as const;
export type ProbabilisticFault = (typeof PROBABILISTIC_FAULTS)[number];
export type FaultKind = 'throttle' | ProbabilisticFault;

const probability = z.number().min(0).max(1).optional();

export const RouteFaultsSchema = z
  .strictObject({
    /** Added to every answer of the route, in milliseconds. */
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    /** A uniform extra delay in [0, jitterMs). */
    jitterMs: z.number().int().min(0).max(120_000).optional(),
    /** A token bucket: refills `requestsPerSecond` (real time), holds at most `burst`. */
    rateLimit: z
      .strictObject({
        requestsPerSecond: z.number().positive().max(1_000_000),
        burst: z.number().int().min(1).max(1_000_000),
      })
      .optional(),
    error500: probability,
    error503: probability,
    hang: probability,
    reset: probability,
    malformed: probability,
    schemaViolation: probability,
    commitThenReset: probability,
    commitThenHang: probability,
    commitThen500: probability,
    commitThenJunk: probability,
  })
  .refine(
    (f) => PROBABILISTIC_FAULTS.reduce((sum, k) => sum + (f[k] ?? 0), 0) <= 1 + 1e-9,
    'the fault probabilities of one route add up to more than 1',
  );
export type RouteFaults = z.infer<typeof RouteFaultsSchema>;

export const FaultConfigSchema = z.strictObject({
  /** Reseeds the fault PRNG when the config is applied. */
  seed: z.number().int().optional(),
  /** Per route key, or `*` for every route; a route's own fields override `*`. */
  routes: z.partialRecord(z.enum([...ROUTE_KEYS, '*']), RouteFaultsSchema).optional(),
});
export type FaultConfig = z.infer<typeof FaultConfigSchema>;

/** What happens to one request, decided when it arrives. */
export interface FaultDecision {
  latencyMs: number;
  fault: FaultKind | null;
  /** Seconds to put in Retry-After when throttled. */
  retryAfterSeconds?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Decides faults per request from a seeded PRNG. Every decision draws exactly
 * two numbers, so the same seed and the same request sequence give the same
 * faults whatever the config. Rate limits follow real elapsed time.
 */
export class FaultInjector {
  private rand: () => number;
  private config: FaultConfig = {};
  private readonly buckets = new Map<RouteKey, Bucket>();
  private readonly realNow: () => number;

  constructor(seed: number, realNow: () => number = () => performance.now()) {
    this.rand = mulberry32(seed);
    this.realNow = realNow;
  }

  /** Replaces the config (validated); reseeds when it carries a seed. */
  configure(config: FaultConfig): void {
    this.config = FaultConfigSchema.parse(config);
    this.buckets.clear();
    if (this.config.seed !== undefined) this.rand = mulberry32(this.config.seed);
  }

  /** The current config. */
  get current(): FaultConfig {
    return this.config;
  }

  /** Clears the config and restarts the PRNG from `seed`. */
  reset(seed: number): void {
    this.config = {};
    this.buckets.clear();
    this.rand = mulberry32(seed);
  }

  /** The effective faults of a route: `*` overlaid with the route's own entry. */
  faultsFor(route: RouteKey): RouteFaults {
    const routes = this.config.routes;
    if (routes === undefined) return {};
    return { ...routes['*'], ...routes[route] };
  }

  /** Decides latency and fault for one request of `route`; call once per request, in arrival order. */
  decide(route: RouteKey): FaultDecision {
    const jitterDraw = this.rand();
    const faultDraw = this.rand();
    const f = this.faultsFor(route);
    const latencyMs = (f.latencyMs ?? 0) + Math.floor(jitterDraw * (f.jitterMs ?? 0));
    if (f.rateLimit !== undefined) {
      const retryAfterSeconds = this.take(route, f.rateLimit);
      if (retryAfterSeconds !== undefined) {
        return { latencyMs, fault: 'throttle', retryAfterSeconds };
      }
    }
    let band = 0;
    for (const kind of PROBABILISTIC_FAULTS) {
      band += f[kind] ?? 0;
      if (faultDraw < band) return { latencyMs, fault: kind };
    }
    return { latencyMs, fault: null };
  }

  /** Takes one token; returns undefined when granted, else the seconds until one is available. */
  private take(
    route: RouteKey,
    limit: { requestsPerSecond: number; burst: number },
  ): number | undefined {
    const now = this.realNow();
    const bucket = this.buckets.get(route) ?? { tokens: limit.burst, at: now };
    bucket.tokens = Math.min(
      limit.burst,
      bucket.tokens + ((now - bucket.at) / 1000) * limit.requestsPerSecond,
    );
    bucket.at = now;
    this.buckets.set(route, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / limit.requestsPerSecond));
  }
}
