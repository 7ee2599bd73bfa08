import { createHash } from 'node:crypto';

/** A seeded PRNG (mulberry32): floats in [0, 1); the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 32 lower-case hex characters derived from the parts; equal parts give equal ids. */
export function deterministicHex(...parts: readonly (string | number)[]): string {
  return createHash('sha256').update(parts.join(':')).digest('hex').slice(0, 32);
}

/** A version-4-shaped UUID derived from the parts (unique as long as the parts are). */
export function deterministicUuid(...parts: readonly (string | number)[]): string {
  const h = deterministicHex(...parts);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

// A table instead of toString(16): numbers above 2^31 take V8's slow path.
function hex8(rand: () => number): string {
  const x = Math.floor(rand() * 0x100000000);
  return (
    (HEX_BYTE[x >>> 24] as string) +
    (HEX_BYTE[(x >>> 16) & 255] as string) +
    (HEX_BYTE[(x >>> 8) & 255] as string) +
    (HEX_BYTE[x & 255] as string)
  );
}

/**
 * A UUID whose last 12 hex digits are `kind` and `index`, so ids of one kind
 * never collide (a 32-bit PRNG alone would repeat within a large fleet); the
 * other digits come from `rand`.
 */
export function indexedUuid(rand: () => number, kind: number, index: number): string {
  const tail = (kind & 0xf).toString(16) + index.toString(16).padStart(11, '0');
  const a = hex8(rand);
  const b = hex8(rand);
  return `${a}-${b.slice(0, 4)}-4${b.slice(4, 7)}-a${a.slice(0, 3)}-${tail}`;
}
