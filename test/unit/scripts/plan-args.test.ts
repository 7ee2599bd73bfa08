import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlanArgs } from '../../../scripts/lib/plan-args.ts';
import { progressReporter } from '../../../scripts/lib/plan-progress.ts';

describe('npm run plan arguments', () => {
  it('reads repeated what-if sets, a generated fleet and the output folder', () => {
    const args = parsePlanArgs([
      '--size',
      '500x20',
      '--seed',
      '9',
      '--what-if',
      'shrink=15,threshold=70,min=2',
      '--what-if',
      'min=0',
      '--out',
      '/tmp/x',
    ]);
    expect(args.sim).toBe(true);
    expect(args.size).toEqual({ groups: 500, serversPerGroup: 20, seed: 9 });
    expect(args.whatIf.map((s) => s.overrides)).toEqual([
      { shrinkMinutes: 15, thresholdPercent: 70, minServersPerGroup: 2 },
      { minServersPerGroup: 0 },
    ]);
    expect(args.out).toBe('/tmp/x');
    expect(parsePlanArgs([]).out).toBe('.reports/plan/');
    expect(parsePlanArgs([]).sim).toBe(false);
  });

  it.each([
    // 2026-12-07 is a Monday; 01:00Z is 09:00 in Shanghai.
    ['2026-12-06T12:00:00Z', '2026-12-07T01:00:00.000Z'],
    ['2026-12-07T00:59:00Z', '2026-12-07T01:00:00.000Z'],
    ['2026-12-07T01:00:00Z', '2026-12-14T01:00:00.000Z'],
    ['2026-12-07T16:00:00Z', '2026-12-14T01:00:00.000Z'],
  ])('reads --at "Mon 09:00+08:00" at %s as the next such instant, %s', (now, next) => {
    const args = parsePlanArgs(['--at', 'Mon 09:00+08:00'], Date.parse(now));
    expect(new Date(args.at as number).toISOString()).toBe(next);
  });

  it('names the bad option', () => {
    expect(() => parsePlanArgs(['--size', '10'])).toThrow('--size must be NxM');
    expect(() => parsePlanArgs(['--what-if', 'shrink=1'])).toThrow(/shrink must be 5–120/);
    expect(() => parsePlanArgs(['--what-if', 'speed=1'])).toThrow(/unknown key "speed"/);
    expect(() => parsePlanArgs(['--seed', '3'])).toThrow('--seed goes with --size');
    expect(() => parsePlanArgs(['--fleet', 'f.json', '--size', '2x2'])).toThrow('not both');
    expect(() => parsePlanArgs(['--bogus'])).toThrow(/bogus/);
  });

  it('reads a price table and names the bad field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prices-'));
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ currency: 'EUR', perServerHour: {}, default: 0.2 }));
    expect(parsePlanArgs(['--prices', good]).prices).toEqual({
      currency: 'EUR',
      perServerHour: {},
      default: 0.2,
    });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ currency: 'EUR', perServerHour: { a: -1 } }));
    expect(() => parsePlanArgs(['--prices', bad])).toThrow(/--prices .*perServerHour/);
    expect(() => parsePlanArgs(['--prices', join(dir, 'missing.json')])).toThrow(/--prices/);
  });
});

describe('plan progress', () => {
  it('is quiet when stderr is not a terminal, and redraws one line when it is', () => {
    const written: string[] = [];
    const quiet = progressReporter({ isTTY: false, write: (s: string) => written.push(s) > 0 });
    expect(quiet.update).toBeUndefined();
    quiet.done();
    expect(written).toEqual([]);

    let t = 0;
    const tty = progressReporter(
      { isTTY: true, write: (s: string) => written.push(s) > 0 },
      () => t,
    );
    tty.update?.({ evaluated: 1, listed: 5, requests: 3, throttled: 0 });
    t += 1_000;
    tty.update?.({ evaluated: 5, listed: 5, requests: 11, throttled: 2 });
    tty.done();
    expect(written).toHaveLength(2 + 1);
    expect(written[1]).toMatch(/^\rplan: 5 of 5 groups .*11 requests · 2 throttled/);
  });
});
