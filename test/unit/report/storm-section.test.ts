import { describe, expect, it } from 'vitest';
import type { StormWarning } from '../../../lib/history/types.ts';
import { STORM_ROWS, stormSection } from '../../../lib/report/storm-section.ts';

const warning = (i: number, need: number): StormWarning => ({
  projectId: 'p',
  serverGroupId: `g-${i}`,
  serverGroupName: i === 0 ? `<script>alert(1)</script>` : `pool ${i}`,
  hour: 'Mon 08:00–09:00',
  at: '2026-11-09T08:30:00.000Z',
  need,
  floor: 1,
  floorFrom: 'MIN_SERVERS_PER_GROUP',
  raised: false,
});

describe('stormSection', () => {
  it('is empty when the sweep warned of nothing', () => {
    expect(stormSection(undefined)).toBe('');
    expect(stormSection([])).toBe('');
  });

  it('names group, hour, need and floor, escaped, and links the group to its history chart', () => {
    const html = stormSection([warning(0, 6)], '../../history/latest.html');
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<a href="../../history/latest.html#g-g-0">');
    expect(html).toContain(
      '<td>Mon 08:00–09:00</td><td class="n">6</td><td class="n">1</td><td>MIN_SERVERS_PER_GROUP</td>',
    );
  });

  it('lists the largest shortfalls first, at most STORM_ROWS, and says the rest are in the JSON', () => {
    const warnings = Array.from({ length: STORM_ROWS + 10 }, (_, i) => warning(i, 2 + (i % 7)));
    const html = stormSection(warnings);
    const needs = [...html.matchAll(/<td>Mon 08:00–09:00<\/td><td class="n">(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(needs).toHaveLength(STORM_ROWS);
    expect(needs).toEqual([...needs].sort((a, b) => b - a));
    expect(needs[0]).toBe(8);
    expect(html).toContain(`${STORM_ROWS + 10} groups will need more servers`);
    expect(html).toContain('every one is in the JSON report');
  });
});
