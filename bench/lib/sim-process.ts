import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FaultConfig } from '../../sim/faults.ts';
import type { CallLogEntry } from '../../sim/server.ts';
import { cpuProfileFlags } from './cpu-profile-summary.ts';

const CLI = fileURLToPath(new URL('../../sim/cli.ts', import.meta.url));
/** Generating and indexing 10,000 × 20 takes ~5 s here; allow for a busy machine. */
const READY_TIMEOUT_MS = 120_000;

export interface SimProcessOptions {
  groups: number;
  serversPerGroup: number;
  seed: number;
  /** A fleet JSON file served instead of a generated fleet (`groups` and `serversPerGroup` then only describe it). */
  fleetFile?: string;
  /** Extra CLI flags; the clock is always `--now real --rebase` (the handler signs with the wall clock). */
  args?: readonly string[];
}

/** The simulator running in a child process, driven through its admin API. */
export interface SimProcess {
  url: string;
  projectId: string;
  ak: string;
  sk: string;
  /** The child's pid, for reports. */
  pid: number;
  loadSeconds: number;
  /** CPU time the simulator process has used so far, ms (NaN where /proc is missing). */
  cpuMs(): number;
  setFaults(config: FaultConfig): Promise<void>;
  /** Reloads the fleet (rebased onto the wall clock again, its clock running), clears faults and the call log. */
  reset(): Promise<void>;
  /** Freezes the virtual clock where it is (`POST /_sim/clock`); resolves that instant, epoch ms. */
  freezeClock(): Promise<number>;
  calls(): Promise<CallLogEntry[]>;
  stop(): Promise<void>;
}

interface Ready {
  type: 'ready';
  url: string;
  projectId: string;
  ak: string;
  sk: string;
  loadSeconds: number;
}

/** User + system CPU of a process from /proc/<pid>/stat, ms; NaN when unreadable. */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A bench that throws or is interrupted must not leave a simulator behind.
  process.once('exit', () => {
    for (const child of running) child.kill('SIGTERM');
  });
}

/** Stops a child this module started and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  running.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Remembers a child so it is stopped if the bench process exits first. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * Forks `sim/cli.ts` (via tsx) on a free loopback port with a generated fleet
 * on the real clock (`--now real --rebase`) and waits for its ready message.
 */
export async function startSimProcess(options: SimProcessOptions): Promise<SimProcess> {
  const child = fork(
    CLI,
    [
      '--sim-only',
      '--port',
      '0',
      ...(options.fleetFile === undefined
        ? [
            '--groups',
            String(options.groups),
            '--servers-per-group',
            String(options.serversPerGroup),
          ]
        : ['--fleet', options.fleetFile]),
      '--seed',
      String(options.seed),
      '--now',
      'real',
      '--rebase',
      ...(options.args ?? []),
    ],
    {
      execArgv: [...cpuProfileFlags('sim'), '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  trackChild(child);
  let timer: NodeJS.Timeout | undefined;
  try {
    const [ready] = (await Promise.race([
      once(child, 'message'),
      once(child, 'exit').then(([code]) => {
        throw new Error(`simulator exited with ${code} before it was ready`);
      }),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error('simulator not ready in time')),
          READY_TIMEOUT_MS,
        );
      }),
    ])) as [Ready];
    const admin = async (method: string, path: string, body?: unknown): Promise<unknown> => {
      const response = await fetch(`${ready.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return text === '' ? undefined : JSON.parse(text);
    };
    return {
      url: ready.url,
      projectId: ready.projectId,
      ak: ready.ak,
      sk: ready.sk,
      pid: child.pid ?? 0,
      loadSeconds: ready.loadSeconds,
      cpuMs: () => processCpuMs(child.pid),
      async setFaults(config) {
        await admin('PUT', '/_sim/faults', config);
      },
      async reset() {
        await admin('POST', '/_sim/reset');
      },
      async freezeClock() {
        const { now } = (await admin('POST', '/_sim/clock', { frozen: true })) as { now: string };
        return Date.parse(now);
      },
      async calls() {
        return ((await admin('GET', '/_sim/calls')) as { calls: CallLogEntry[] }).calls;
      },
      stop: () => stopChild(child),
    };
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
