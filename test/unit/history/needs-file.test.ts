import { describe, expect, it } from 'vitest';
import { LearnedNeedsFileSchema } from '../../../lib/history/needs-file.ts';

const file = (needs: unknown) => ({
  generatedAt: '2026-11-08T00:00:00.000Z',
  groups: { 'g-1': { name: 'pool', timeZone: 'UTC', needs } },
});

describe('LearnedNeedsFileSchema', () => {
  it('accepts 168 whole numbers of at least 0 per group', () => {
    expect(LearnedNeedsFileSchema.safeParse(file(Array(168).fill(2))).success).toBe(true);
  });

  it.each([
    ['167 hours', Array(167).fill(1)],
    ['a negative need', [...Array(167).fill(1), -1]],
    ['a fraction', [...Array(167).fill(1), 1.5]],
    ['a string', [...Array(167).fill(1), '1']],
    ['no array', { 0: 1 }],
  ])('rejects %s, naming the group', (_, needs) => {
    const parsed = LearnedNeedsFileSchema.safeParse(file(needs));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['groups', 'g-1', 'needs']);
    expect(parsed.error?.issues[0]?.message).toBe('expected 168 whole numbers of at least 0');
  });
});
