import { type BenchLine, line, round, seconds } from './lines.ts';

/** A bench's progress on stderr (stdout keeps the table). */
export function progress(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** Runs benchmarks one at a time, timing each part. */
export interface Measurer {
  /** Runs one benchmark; a failure becomes a line that says so instead of ending the run. */
  measure(name: string, run: () => Promise<BenchLine[]>): Promise<BenchLine[]>;
  /** Seconds each part took, in the order they ran (results.json `parts`). */
  readonly partSeconds: Record<string, number>;
}

/** A fresh measurer for one run. */
export function createMeasurer(): Measurer {
  const partSeconds: Record<string, number> = {};
  return {
    partSeconds,
    async measure(name, run) {
      progress(`${name}…`);
      const started = performance.now();
      try {
        const lines = await run();
        progress(`${name}: ${seconds(performance.now() - started)}`);
        partSeconds[name] = round((performance.now() - started) / 1000, 1);
        return lines;
      } catch (error) {
        partSeconds[name] = round((performance.now() - started) / 1000, 1);
        progress(`${name} failed: ${(error as Error).stack ?? String(error)}`);
        return [
          line({
            name,
            inputs: '—',
            value: Number.NaN,
            unit: '',
            shown: `failed: ${(error as Error).message}`,
            target: { op: '==', value: 0 },
            met: false,
          }),
        ];
      }
    },
  };
}
