import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseApiTime } from '../../../lib/huawei/api-time.ts';

const MINUTE = 60_000;

describe('parseApiTime', () => {
  it.each([
    ['2023-06-06T14:14:36.416Z', Date.UTC(2023, 5, 6, 14, 14, 36, 416)],
    ['2023-06-06T14:14:36Z', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2023-06-06T14:14:36', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2023-06-06 14:14:36', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2023-06-06T14:14Z', Date.UTC(2023, 5, 6, 14, 14)],
    ['2023-06-06T14:14:36.4Z', Date.UTC(2023, 5, 6, 14, 14, 36, 400)],
    ['2023-06-06T14:14:36.123456789Z', Date.UTC(2023, 5, 6, 14, 14, 36, 123)],
    ['2023-06-06T22:14:36.416+08:00', Date.UTC(2023, 5, 6, 14, 14, 36, 416)],
    ['2023-06-06T22:14:36+0800', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2023-06-06T22:14:36+08', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2023-06-06T08:44:36-05:30', Date.UTC(2023, 5, 6, 14, 14, 36)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2000-02-29T00:00:00Z', Date.UTC(2000, 1, 29)],
    [' 2023-06-06T14:14:36Z ', Date.UTC(2023, 5, 6, 14, 14, 36)],
  ])('reads %j as its UTC instant', (text, expected) => {
    expect(parseApiTime(text)).toBe(expected);
  });

  it('reads a two-digit year as that year, not as 19xx', () => {
    expect(new Date(parseApiTime('0050-03-01T00:00:00Z') ?? Number.NaN).getUTCFullYear()).toBe(50);
  });

  it.each([
    [''],
    ['not a date'],
    ['2023-06-06'],
    ['1686060876416'],
    ['2023-02-29T00:00:00Z'],
    ['2100-02-29T00:00:00Z'],
    ['2023-06-06X14:14:36Z'],
    ['2023/06/06T14:14:36Z'],
    ['2023-06-06T14:14:36.Z'],
    ['2023-06-06T14:14:36+08:0'],
    ['2023-04-31T00:00:00Z'],
    ['2023-13-01T00:00:00Z'],
    ['2023-00-10T00:00:00Z'],
    ['2023-06-06T24:00:00Z'],
    ['2023-06-06T14:60:00Z'],
    ['2023-06-06T14:14:60Z'],
    ['2023-06-06T14:14:36+25:00'],
    ['2023-06-06T14:14:36 PST'],
    ['Tue, 06 Jun 2023 14:14:36 GMT'],
  ])('rejects %j', (text) => {
    expect(parseApiTime(text)).toBeUndefined();
  });

  it.each([[null], [undefined]])('rejects %j', (value) => {
    expect(parseApiTime(value)).toBeUndefined();
  });

  it('reads any instant written with any zone offset', () => {
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 2), max: Date.UTC(2200, 0, 1) }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        fc.constantFrom(':', ''),
        (ms, offset, colon) => {
          const local = new Date(ms + offset * MINUTE).toISOString().slice(0, 23);
          const abs = Math.abs(offset);
          const zone = `${offset < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}${colon}${pad(abs % 60)}`;
          expect(parseApiTime(`${local}${zone}`)).toBe(ms);
        },
      ),
      { numRuns: 1000, seed: 4_0002 },
    );
  });

  it('round-trips every toISOString instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(2200, 0, 1) }), (ms) => {
        expect(parseApiTime(new Date(ms).toISOString())).toBe(ms);
      }),
      { numRuns: 1000, seed: 4_0001 },
    );
  });
});
