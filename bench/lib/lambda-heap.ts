import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.ts';

/** The heap settings of a Lambda function of `memoryMb`. */
export interface LambdaHeap {
  memoryMb: number;
  flags: string[];
  /**
   * The most the young generation reserves under these flags, MB: V8 rounds
   * a semi-space up to a power of two and keeps two (25 → 2 × 32 = 64 MB,
   * as `v8.getHeapSpaceStatistics` new_space shows once scavenges have kept
   * surviving data long enough for it to grow to its maximum).
   */
  youngMb?: number;
}

/**
 * The flags the Lambda Node.js runtime's bootstrap (/var/runtime/bootstrap
 * of the nodejs runtimes: `new_space = memory / 10`, `semi_space =
 * new_space / 2`, `old_space = memory - new_space`) starts `node` with for a
 * function of `memoryMb`: a tenth of the memory for the young generation (a
 * semi-space is half of it) and the rest for the old one, in whole MB as its
 * shell arithmetic rounds; `--expose-gc` too. They are command-line flags,
 * which win over NODE_OPTIONS, so a function cannot size its heap otherwise.
 * The V8 heap grows with these limits (the old generation's growing factor is
 * smaller under a smaller limit), so the bench runs the sweep with them.
 */
export function lambdaHeap(memoryMb: number): LambdaHeap {
  const young = Math.floor(memoryMb / 10);
  const semiSpace = Math.floor(young / 2);
  return {
    memoryMb,
    youngMb: 2 * 2 ** Math.ceil(Math.log2(semiSpace)),
    flags: [
      '--expose-gc',
      `--max-semi-space-size=${semiSpace}`,
      `--max-old-space-size=${memoryMb - young}`,
    ],
  };
}

/** The sweep function's memory in serverless.yml: the provider's `memorySize` (no function overrides it). */
export function sweepMemoryMb(yaml = readFileSync(join(ROOT, 'serverless.yml'), 'utf8')): number {
  const sizes = [...yaml.matchAll(/^\s+memorySize:\s*(\d+)\s*$/gm)].map((m) => Number(m[1]));
  if (sizes.length !== 1 || !/^provider:[\s\S]*?^ {2}memorySize:/m.test(yaml)) {
    throw new Error(
      `serverless.yml: expected one memorySize, the provider's; found ${sizes.length} (teach bench/lib/lambda-heap.ts the sweep function's own)`,
    );
  }
  return sizes[0] as number;
}
