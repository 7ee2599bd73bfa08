import { describe, expect, it } from 'vitest';
import { FaultConfigSchema, FaultInjector } from '../../../sim/faults.ts';

describe('FaultInjector', () => {
  it('gives the same decisions for the same seed and sequence', () => {
    const config = {
      routes: { '*': { error500: 0.2, error503: 0.2, malformed: 0.1, jitterMs: 50 } },
    } as const;
    const run = (seed: number) => {
      const f = new FaultInjector(seed);
      f.configure(config);
      return Array.from({ length: 200 }, (_, i) =>
        f.decide(i % 2 === 0 ? 'listAppServers' : 'ecsAction'),
      );
    };
    expect(run(7)).toEqual(run(7));
    expect(run(8)).not.toEqual(run(7));
  });

  it('injects faults at about their configured rates', () => {
    const f = new FaultInjector(1);
    f.configure({ routes: { listSessions: { error503: 0.3 } } });
    const faults = Array.from({ length: 2000 }, () => f.decide('listSessions').fault);
    const rate = faults.filter((x) => x === 'error503').length / faults.length;
    expect(rate).toBeGreaterThan(0.25);
    expect(rate).toBeLessThan(0.35);
    expect(f.decide('listAppServers').fault).toBeNull();
  });

  it('lets a route override the wildcard field by field', () => {
    const f = new FaultInjector(1);
    f.configure({ routes: { '*': { latencyMs: 10, error500: 1 }, getJob: { error500: 0 } } });
    expect(f.decide('getJob')).toEqual({ latencyMs: 10, fault: null });
    expect(f.decide('getAppServer').fault).toBe('error500');
  });

  it('throttles with a token bucket refilled by elapsed time', () => {
    let now = 0;
    const f = new FaultInjector(1, () => now);
    f.configure({
      routes: { listServerGroups: { rateLimit: { requestsPerSecond: 2, burst: 2 } } },
    });
    expect(f.decide('listServerGroups').fault).toBeNull();
    expect(f.decide('listServerGroups').fault).toBeNull();
    expect(f.decide('listServerGroups')).toMatchObject({ fault: 'throttle', retryAfterSeconds: 1 });
    expect(f.decide('listAppServers').fault).toBeNull();
    now += 500;
    expect(f.decide('listServerGroups').fault).toBeNull();
    expect(f.decide('listServerGroups').fault).toBe('throttle');
  });

  it('rejects probabilities that add up to more than 1 and unknown routes', () => {
    expect(
      FaultConfigSchema.safeParse({ routes: { '*': { error500: 0.6, hang: 0.6 } } }).success,
    ).toBe(false);
    expect(FaultConfigSchema.safeParse({ routes: { listThings: { error500: 0.1 } } }).success).toBe(
      false,
    );
  });
});
