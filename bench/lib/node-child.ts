import { spawn } from 'node:child_process';
import { trackChild } from './sim-process.ts';

export interface NodeChildResult<T> {
  /** The last line the child printed, parsed as JSON. */
  result: T;
  /** Wall time from spawn to exit, milliseconds. */
  wallMs: number;
}

/**
 * Runs `node <args>` in a fresh process with only PATH and `env` set (so the
 * bench's own environment cannot colour a measurement), and resolves with
 * the last line of its stdout parsed as JSON. Rejects, naming `what`, when
 * the child fails or prints something else.
 */
export function runNodeChild<T>(
  what: string,
  args: readonly string[],
  options: {
    cwd: string;
    env: Record<string, string>;
    /** A cgroup's `cgroup.procs`: a shell joins it, then execs node, so every instruction of the child is capped. */
    procsFile?: string | undefined;
  },
): Promise<NodeChildResult<T>> {
  const node = process.execPath;
  const [command, argv] =
    options.procsFile === undefined
      ? [node, args]
      : ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', options.procsFile, node, ...args]];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, argv, {
      cwd: options.cwd,
      env: {
        PATH: process.env['PATH'] ?? '',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    trackChild(child);
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      const wallMs = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${what} failed (${code}): ${err.slice(0, 500)}`));
        return;
      }
      try {
        resolve({ result: JSON.parse(out.trim().split('\n').at(-1) ?? '') as T, wallMs });
      } catch (error) {
        reject(
          new Error(`bad output from ${what}: ${JSON.stringify(out.slice(0, 200))}`, {
            cause: error,
          }),
        );
      }
    });
  });
}
