// The simulator's lifecycle: load the fleet, listen, reset, close. What one
// request does is in request-handler.ts, the options in simulator-options.ts.
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { formatIssues } from '../lib/validation.ts';
import type { CallLogEntry } from './call-log.ts';
import { VirtualClock } from './clock.ts';
import { type FaultConfig, FaultConfigSchema, FaultInjector } from './faults.ts';
import { shiftFleet } from './fleet.ts';
import { createRequestHandler } from './request-handler.ts';
import {
  DEFAULT_CREDENTIALS,
  fleetSource,
  type SimCredentials,
  type StartSimulatorOptions,
  startInstant,
} from './simulator-options.ts';
import { SimState } from './state.ts';

export type { CallLogEntry } from './call-log.ts';
export {
  DEFAULT_CREDENTIALS,
  DEMO_FLEET_PATH,
  type SimClockOptions,
  type SimCredentials,
  type StartSimulatorOptions,
} from './simulator-options.ts';

export interface Simulator {
  /** `http://127.0.0.1:{port}`: use it for both APS_ENDPOINT and ECS_ENDPOINT. */
  readonly url: string;
  readonly port: number;
  readonly projectId: string;
  readonly credentials: SimCredentials;
  /** The live state; read it, change it only through its methods. */
  readonly state: SimState;
  /** The live call log, in arrival order. */
  readonly calls: CallLogEntry[];
  readonly clock: VirtualClock;
  /** Seconds spent building and indexing the fleet at start. */
  readonly loadSeconds: number;
  /** The virtual now. */
  now(): Date;
  /** Replaces the fault config; throws naming the bad path when invalid. */
  setFaults(faults: FaultConfig): void;
  advanceClock(minutes: number): void;
  /** Reloads the fleet, clears the call log and faults, restarts the clock, PRNG and ids. */
  reset(): void;
  /** Stops listening and destroys every open connection, hung ones included. */
  close(): Promise<void>;
}

/**
 * The variables that point our client at `sim`: its keys, project and URL
 * for both endpoints, with no client-side rate limit (the simulator is local).
 */
export function clientEnvOf(
  sim: Pick<Simulator, 'url' | 'projectId' | 'credentials'>,
): Record<string, string> {
  return {
    HUAWEICLOUD_SDK_AK: sim.credentials.ak,
    HUAWEICLOUD_SDK_SK: sim.credentials.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
    APS_ENDPOINT: sim.url,
    ECS_ENDPOINT: sim.url,
    RATE_LIMIT_RPS: '0',
  };
}

/**
 * Starts the simulator on 127.0.0.1: one HTTP server answering the APS and
 * ECS APIs of the reference (signed with AK/SK) and the unsigned admin API
 * under `/_sim/`. See sim/README.md.
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  const loadStarted = performance.now();
  const source = fleetSource(options);
  const credentials: SimCredentials = { ...(options.credentials ?? DEFAULT_CREDENTIALS) };
  const seed = options.seed ?? options.generate?.seed ?? 1;
  const state = new SimState();
  const faults = new FaultInjector(seed);
  const calls: CallLogEntry[] = [];
  const jobDurationMs = (options.jobSeconds ?? 0) * 1000;
  const callLogLimit = Math.max(1, options.callLogLimit ?? 100_000);

  let projectId = '';
  let start = 0;
  const load = (): void => {
    let fleet = source();
    if (options.projectId !== undefined) fleet = { ...fleet, projectId: options.projectId };
    const fleetNow = Date.parse(fleet.now);
    start = startInstant(options.clock, fleetNow);
    if (options.clock?.rebase === true && start !== fleetNow) {
      fleet = shiftFleet(fleet, start - fleetNow);
    }
    state.load(fleet, { seed, jobDurationMs });
    projectId = state.projectId;
  };
  load();
  const clock = new VirtualClock(start, { frozen: options.clock?.frozen ?? false });

  const applyFaults = (config: unknown): void => {
    const parsed = FaultConfigSchema.safeParse(config);
    if (!parsed.success) {
      throw new Error(`invalid fault config: ${formatIssues(parsed.error.issues)}`);
    }
    faults.configure(parsed.data);
  };
  if (options.faults !== undefined) applyFaults(options.faults);
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  const counters = { epoch: 0, seq: 0, adminSeq: 0 };
  let closed = false;
  const sockets = new Set<Socket>();
  const hung = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const reset = (): void => {
    load();
    clock.set(start);
    clock.setFrozen(options.clock?.frozen ?? false);
    faults.reset(seed);
    calls.length = 0;
    counters.epoch += 1;
    counters.seq = 0;
    counters.adminSeq = 0;
  };

  const handle = createRequestHandler({
    state,
    clock,
    faults,
    calls,
    callLogLimit,
    credentials,
    seed,
    projectId: () => projectId,
    counters,
    hung,
    applyFaults,
    reset,
    sleep,
    isClosed: () => closed,
  });

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      console.error('simulator: request failed', error);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500).end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get projectId() {
      return projectId;
    },
    credentials,
    state,
    calls,
    clock,
    loadSeconds,
    now: () => new Date(clock.now()),
    setFaults: applyFaults,
    advanceClock: (minutes: number) => clock.advance(minutes * 60_000),
    reset,
    close: async () => {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of hung) socket.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
