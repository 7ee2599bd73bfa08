import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.ts';

/** The heap settings of a Lambda function of `memoryMb`. */
export interface LambdaHeap {
  memoryMb: number;
  flags: string[];
}

/**
 * The flags the Lambda Node.js runtime's bootstrap starts `node` with for a
 * function of `memoryMb`: a tenth of the memory for the young generation (a
 * semi-space is half of it) and the rest for the old one, in whole MB as its
 * shell arithmetic rounds; `--expose-gc` too. They are command-line flags,
 * which win over NODE_OPTIONS, so a function cannot size its heap otherwise.
 * The V8 heap grows with these limits (the old generation's growing factor is
 * smaller under a smaller limit), so the bench runs the sweep with them.
 */
export function lambdaHeap(memoryMb: number): LambdaHeap {
  const young = Math.floor(memoryMb / 10);
  return {
    memoryMb,
    flags: [
      '--expose-gc',
      `--max-semi-space-size=${Math.floor(young / 2)}`,
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
