import type { ColdStartResult } from './cold-start.ts';
import { type BenchLine, fmt, line, round } from './lines.ts';

const KB = 1024;

/**
 * The cold-start lines (each bundle ÷ the official SDK's shell, bundled
 * alike) and the bundle sizes, from one run of bench/lib/cold-start.ts.
 */
export function coldStartLines(r: ColdStartResult): BenchLine[] {
  const lines: BenchLine[] = [];
  const theirs = r.sdk.load;
  const theirsMs = theirs.loadMs + theirs.sqsMs;
  for (const [name, b] of Object.entries(r.bundles)) {
    const ours = b.load;
    // The invocation that first sends to SQS pays its client's load on top of the cold start.
    const oursMs = ours.loadMs + ours.sqsMs;
    const ratio = oursMs / theirsMs;
    lines.push(
      line({
        name: `cold start: ${name} bundle ÷ the official SDK in the same shell, bundled alike`,
        inputs: `both bundled by esbuild as serverless.yml (bundle, minify, node24, cjs, @aws-sdk/* external); theirs = bench/lib/sdk-shell.ts (the same middy + Powertools shell around @huaweicloud/huaweicloud-sdk-core + -ecs); require() timed inside a fresh node, median of ${ours.runs}, alternating; on the invocation that pays it, the SQS client's first use (require @aws-sdk/client-sqs + new SQSClient) is added to both sides; both send with Node's own http/https (ours directly, lib/huawei/transport.ts; theirs through axios), loaded within the require`,
        value: round(ratio),
        unit: 'ratio',
        shown: `${fmt(ratio, 2)} ((${fmt(ours.loadMs, 1)} + ${fmt(ours.sqsMs, 1)} SQS) ms vs (${fmt(theirs.loadMs, 1)} + ${fmt(theirs.sqsMs, 1)} SQS) ms; load alone ${fmt(ours.loadMs / theirs.loadMs, 2)}; bundle ${fmt(b.bytes / KB)} KB vs ${fmt(r.sdk.bytes / KB)} KB; process wall ${fmt(ours.wallMs)} vs ${fmt(theirs.wallMs)} ms, empty node ${fmt(r.emptyNode.wallMs)} ms)`,
        target: { op: '<=', value: 0.6 },
        details: { bundle: b, sdk: r.sdk, emptyNode: r.emptyNode },
      }),
    );
  }
  for (const [name, b] of Object.entries(r.bundles)) {
    lines.push(
      line({
        name: `bundle size: ${name}`,
        inputs: 'the same esbuild build',
        value: round(b.bytes / KB, 1),
        unit: 'KB',
        shown: `${fmt(b.bytes / KB, 1)} KB`,
        // No HTTP library inside since issue 31 (Node's http/https); zod is about 96 KB of it (docs/performance.md).
        target: { op: '<=', value: 400, unit: 'KB' },
        details: { bytes: b.bytes },
      }),
    );
  }
  return lines;
}
