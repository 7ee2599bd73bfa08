import { describe, expect, it } from 'vitest';
import { parseSdkDate, toSdkDate, VirtualClock } from '../../../sim/clock.ts';
import { deterministicUuid, indexedUuid, mulberry32 } from '../../../sim/prng.ts';

describe('mulberry32', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const c = mulberry32(43);
    const seqA = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(seqA);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(seqA);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
  });
});

describe('indexedUuid', () => {
  it('never repeats within a kind, even from one PRNG state', () => {
    const rand = mulberry32(1);
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(indexedUuid(rand, 1, i));
    expect(seen.size).toBe(20_000);
    expect([...seen][0]).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-1[0-9a-f]{11}$/,
    );
  });

  it('derives stable UUIDs from parts', () => {
    expect(deterministicUuid(1, 'job', 1)).toBe(deterministicUuid(1, 'job', 1));
    expect(deterministicUuid(1, 'job', 1)).not.toBe(deterministicUuid(1, 'job', 2));
  });
});

describe('VirtualClock', () => {
  it('follows injected real time unless frozen', () => {
    let real = 1000;
    const clock = new VirtualClock(Date.UTC(2026, 0, 1), { realNow: () => real });
    real += 5000;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 5000);
    clock.setFrozen(true);
    real += 60_000;
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 5000);
    clock.advance(60_000);
    expect(clock.now()).toBe(Date.UTC(2026, 0, 1) + 65_000);
    clock.set(Date.UTC(2025, 0, 1));
    expect(clock.now()).toBe(Date.UTC(2025, 0, 1));
  });

  it('formats and parses X-Sdk-Date', () => {
    const ms = Date.UTC(2019, 10, 15, 3, 36, 55);
    expect(toSdkDate(ms)).toBe('20191115T033655Z');
    expect(parseSdkDate('20191115T033655Z')).toBe(ms);
    expect(parseSdkDate('2019-11-15T03:36:55Z')).toBeUndefined();
  });
});
