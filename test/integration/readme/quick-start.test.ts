import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../../scripts/lib/invoke-local.ts';
import { examplePattern, fencedBlocks, readmeSection } from '../../helpers/readme.ts';

// The Quick start's example output is a real run's: `npm start` (on free
// ports, building in a folder of its own) must print each line of it, ids,
// dates and sizes aside.
const TIMEOUT_MS = 150_000;

/** The `(N bytes)` sizes a line names, in order. */
const sizesIn = (line: string): number[] =>
  [...line.matchAll(/\((\d+) bytes\)/g)].map((m) => Number(m[1]));

describe('README Quick start, npm start as written', () => {
  it(
    'prints the example lines the README shows, numbers and all',
    async () => {
      const section = readmeSection('Quick start');
      const [start] = fencedBlocks(section, 'bash').flatMap((b) => b.split('\n'));
      expect(start).toMatch(/^npm start\s/);
      const { stdout, exitCode } = await runCommand('bash', ['-c', 'npm start'], {
        timeoutMs: TIMEOUT_MS,
        env: { ESBUILD_WORK_FOLDER: '.esbuild-quickstart' },
      });
      expect(exitCode).toBe(0);
      const output = stdout.split('\n');
      const example = (fencedBlocks(section, 'text')[0] ?? '').split('\n').filter(Boolean);
      expect(example.length).toBeGreaterThan(0);
      for (const line of example) {
        expect(output, `README example line: ${line}`).toContainEqual(
          expect.stringMatching(examplePattern(line)),
        );
        // Sizes vary by a few bytes run to run (ids, timings); the README's stay within 5 % of today's.
        const printed = output.find((o) => examplePattern(line).test(o)) ?? '';
        const shown = sizesIn(line);
        expect(sizesIn(printed)).toHaveLength(shown.length);
        sizesIn(printed).forEach((bytes, i) => {
          expect(
            Math.abs(bytes / (shown[i] ?? 0) - 1),
            `${line}: printed ${bytes} bytes`,
          ).toBeLessThan(0.05);
        });
      }
      // The page it keeps links to the history page beside it (followed in Chromium by
      // test/integration/history/history-link.test.ts).
      const reports = new URL('../../../.reports/', import.meta.url);
      const page = readFileSync(new URL('sweep-inline.html', reports), 'utf8');
      const href = /id="history-link" href="([^"]+)"/.exec(page)?.[1];
      expect(href).toBe('history/latest.html');
      expect(existsSync(new URL(href as string, reports))).toBe(true);
    },
    TIMEOUT_MS,
  );
});
