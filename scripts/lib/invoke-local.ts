import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = new URL('../../', import.meta.url).pathname;

export interface InvokeLocalOptions {
  /** `sweep` or `remediate`. */
  fn: string;
  /** A path under the repo (`events/schedule.json`) or an event object written to a temp file. */
  event: string | object;
  /** Variables passed with `-e NAME=value`, over the `local` stage's own. */
  env?: Record<string, string>;
  /** Kills the whole process group after this long; `invoke local` can hang on a load error. */
  timeoutMs?: number;
}

export interface InvokeLocalResult {
  /** The handler's return value, parsed from the last JSON document printed. */
  result: unknown;
  /** Structured log lines the function printed. */
  logs: Record<string, unknown>[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
  durationMs: number;
}

/**
 * Runs `osls invoke local -f <fn> --stage local` on an event, under a
 * timeout, and returns the handler's result and its log lines.
 */
export async function invokeLocal(options: InvokeLocalOptions): Promise<InvokeLocalResult> {
  let tempDir: string | undefined;
  let eventPath: string;
  if (typeof options.event === 'string') {
    eventPath = options.event;
  } else {
    tempDir = mkdtempSync(join(tmpdir(), 'aps-event-'));
    eventPath = join(tempDir, 'event.json');
    writeFileSync(eventPath, JSON.stringify(options.event));
  }
  const env = options.env ?? {};
  const args = [
    'osls',
    'invoke',
    'local',
    '-f',
    options.fn,
    '--stage',
    'local',
    '--path',
    eventPath,
  ];
  for (const [name, value] of Object.entries(env)) args.push('-e', `${name}=${value}`);
  const started = Date.now();
  try {
    const { stdout, stderr, exitCode } = await runCommand('npx', args, {
      timeoutMs: options.timeoutMs ?? 120_000,
    });
    const logs: Record<string, unknown>[] = [];
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{"level"')) continue;
      try {
        logs.push(JSON.parse(line));
      } catch {
        // Not a log line after all.
      }
    }
    return {
      result: lastJsonDocument(stdout),
      logs,
      stdout,
      stderr,
      exitCode,
      durationMs: Date.now() - started,
    };
  } finally {
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
}

/** The last pretty-printed JSON value (`{` or `[` alone on a line) in `text`. */
export function lastJsonDocument(text: string): unknown {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    if (line !== '{' && line !== '[') continue;
    try {
      return JSON.parse(lines.slice(i).join('\n'));
    } catch {
      // Keep looking further up.
    }
  }
  return undefined;
}

/**
 * Runs a command in the repository in its own process group, under a
 * timeout that kills the whole group (and rejects naming the command);
 * the group is ended when the command exits too, so nothing it started stays.
 */
export function runCommand(
  command: string,
  args: string[],
  options: { timeoutMs: number; env?: Record<string, string> },
): Promise<{ stdout: string; stderr: string; exitCode: number | null }> {
  const { timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        ...options.env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      killGroup(child.pid);
      reject(
        new Error(
          `${[command, ...args].join(' ')} timed out after ${timeoutMs} ms\n${stderr.slice(-2000)}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      // The esbuild service may outlive the CLI; end the whole group.
      killGroup(child.pid);
      resolve({ stdout, stderr, exitCode });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
