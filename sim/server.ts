// Over ~300 lines: one request's path (admin or API → auth → fault → route →
// answer) shares the simulator's clock, state, faults and counters through the
// closure of startSimulator. Faulted bodies are in fault-answers.ts, the call
// log in call-log.ts, reading and writing HTTP in http-io.ts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatIssues } from '../lib/validation.ts';
import { handleAdmin } from './admin.ts';
import { authenticate, parseRawQuery } from './auth.ts';
import { appendCall, type CallLogEntry } from './call-log.ts';
import { VirtualClock } from './clock.ts';
import { faultedMutationBody, truncateJson, violateSchema } from './fault-answers.ts';
import { type FaultConfig, FaultConfigSchema, FaultInjector } from './faults.ts';
import { type Fleet, loadFleetFile, parseFleet, shiftFleet } from './fleet.ts';
import { type GenerateFleetOptions, generateFleet } from './generate-fleet.ts';
import { createSender, errorBody, errorObject, readBody } from './http-io.ts';
import { settleLogoffs } from './logoff.ts';
import { deterministicHex } from './prng.ts';
import { ERROR_CODES, SimHttpError } from './route-params.ts';
import { matchRoute, type RouteMatch, type RouteResult } from './routes.ts';
import { SimState } from './state.ts';

export type { CallLogEntry } from './call-log.ts';

/** The fleet `startSimulator` loads when given none. */
export const DEMO_FLEET_PATH = fileURLToPath(
  new URL('../events/fleets/demo.json', import.meta.url),
);

export const DEFAULT_CREDENTIALS = {
  ak: 'SIMULATORACCESSKEY00',
  sk: 'simulator-secret-key-do-not-use-in-production',
} as const;

export interface SimCredentials {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

export interface SimClockOptions {
  /** `fleet` (default: the fleet's `now`), `real` (the wall clock) or an ISO instant. */
  now?: string | undefined;
  /** Stay at the start instant until moved through the admin API. */
  frozen?: boolean | undefined;
  /** Shift every fleet timestamp so the fleet's `now` lands on the start instant. */
  rebase?: boolean | undefined;
}

export interface StartSimulatorOptions {
  /** A fleet object or the path of a fleet JSON file; default events/fleets/demo.json. */
  fleet?: Fleet | string | undefined;
  /** Generate a fleet instead of loading one. */
  generate?: Pick<GenerateFleetOptions, 'groups' | 'serversPerGroup' | 'seed' | 'now'> | undefined;
  /** Default 0: any free port on 127.0.0.1. */
  port?: number | undefined;
  /** Default: AK `SIMULATORACCESSKEY00`, SK `simulator-secret-key-do-not-use-in-production`. */
  credentials?: SimCredentials | undefined;
  /** Default: the fleet's project id. */
  projectId?: string | undefined;
  /** Seeds faults, request ids and job ids; default the generate seed, else 1. */
  seed?: number | undefined;
  faults?: FaultConfig | undefined;
  clock?: SimClockOptions | undefined;
  /** Seconds a delete job stays RUNNING (virtual time); default 0. */
  jobSeconds?: number | undefined;
  /** Call log entries kept; the oldest tenth is dropped beyond it. Default 100,000. */
  callLogLimit?: number | undefined;
}

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

function fleetSource(options: StartSimulatorOptions): () => Fleet {
  if (options.generate !== undefined && options.fleet !== undefined) {
    throw new Error('startSimulator: give either fleet or generate, not both');
  }
  const generate = options.generate;
  if (generate !== undefined) return () => generateFleet(generate);
  const parsed =
    typeof options.fleet === 'object'
      ? parseFleet(options.fleet)
      : loadFleetFile(options.fleet ?? DEMO_FLEET_PATH);
  return () => structuredClone(parsed);
}

function startInstant(clock: SimClockOptions | undefined, fleetNow: number): number {
  const now = clock?.now;
  if (now === undefined || now === 'fleet') return fleetNow;
  if (now === 'real') return Date.now();
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) throw new Error(`startSimulator: clock.now ${now} is not an instant`);
  return ms;
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

  let epoch = 0;
  let seq = 0;
  let adminSeq = 0;
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
    epoch += 1;
    seq = 0;
    adminSeq = 0;
  };

  const send = createSender(() => clock.now());
  const finish = (
    res: ServerResponse,
    entry: CallLogEntry,
    started: number,
    status: number,
    text: string | undefined,
    extra?: Record<string, string>,
  ): void => {
    entry.status = status;
    entry.durationMs = Math.round((performance.now() - started) * 100) / 100;
    send(res, entry.requestId, status, text, extra);
  };

  const handleAdminRequest = async (
    req: IncomingMessage,
    res: ServerResponse,
    rawPath: string,
    rawQuery: string,
  ): Promise<void> => {
    adminSeq += 1;
    const requestId = `sim-${deterministicHex(seed, epoch, 'admin', adminSeq)}`;
    const raw = await readBody(req);
    if (raw === undefined) return;
    let result: RouteResult;
    try {
      let body: unknown;
      if (raw === null) throw new SimHttpError(413, 'SIM.0413', 'request body too large');
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new SimHttpError(400, 'SIM.0400', 'the request body is not valid JSON');
        }
      }
      result = handleAdmin(req.method ?? 'GET', rawPath, parseRawQuery(rawQuery), body, {
        state,
        clock,
        calls,
        faults: () => faults.current,
        setFaults: applyFaults,
        reset,
      });
    } catch (error) {
      if (!(error instanceof SimHttpError)) throw error;
      send(res, requestId, error.status, errorBody(error.code, error.message, requestId));
      return;
    }
    send(res, requestId, result.status, JSON.stringify(result.body));
  };

  const runRoute = (
    match: RouteMatch,
    req: IncomingMessage,
    body: Buffer,
    query: ReadonlyMap<string, readonly string[]>,
    requestId: string,
    entry: CallLogEntry,
  ): { status: number; body: unknown } => {
    const result = runHandler(match, req, body, query, requestId, entry);
    entry.routeStatus = result.status;
    return result;
  };

  const runHandler = (
    match: RouteMatch,
    req: IncomingMessage,
    body: Buffer,
    query: ReadonlyMap<string, readonly string[]>,
    requestId: string,
    entry: CallLogEntry,
  ): { status: number; body: unknown } => {
    // Handlers are synchronous: every removal the state reports belongs to this call.
    state.removalListener = (serverId) => entry.removed.push(serverId);
    try {
      const result = match.route.handle(
        {
          params: match.params,
          query,
          body,
          contentType: req.headers['content-type'],
        },
        { state, now: clock.now() },
      );
      return { status: result.status, body: result.body };
    } catch (error) {
      if (error instanceof SimHttpError) {
        return { status: error.status, body: errorObject(error.code, error.message, requestId) };
      }
      console.error('simulator: route failed', error);
      return { status: 500, body: { error_code: 'WKS.00000500', error_msg: 'internal error' } };
    } finally {
      state.removalListener = undefined;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q === -1 ? url : url.slice(0, q);
    const rawQuery = q === -1 ? '' : url.slice(q + 1);
    settleLogoffs(state, clock.now());
    if (rawPath.startsWith('/_sim/')) {
      await handleAdminRequest(req, res, rawPath, rawQuery);
      return;
    }
    seq += 1;
    const requestId = deterministicHex(seed, epoch, seq);
    let match: RouteMatch | undefined;
    let badEncoding = false;
    try {
      match = matchRoute(method, rawPath);
    } catch {
      badEncoding = true;
    }
    const entry: CallLogEntry = {
      seq,
      method,
      path: rawPath,
      query: rawQuery,
      route: match?.route.key ?? null,
      status: 0,
      routeStatus: 0,
      removed: [],
      latencyMs: 0,
      durationMs: 0,
      signatureOk: null,
      fault: null,
      requestId,
      time: new Date(clock.now()).toISOString(),
    };
    appendCall(calls, entry, callLogLimit);
    const decision = match ? faults.decide(match.route.key) : { latencyMs: 0, fault: null };
    entry.latencyMs = decision.latencyMs;
    const body = await readBody(req);
    if (body === undefined) return;
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (closed) return;

    const answer = (status: number, text: string | undefined, extra?: Record<string, string>) =>
      finish(res, entry, started, status, text, extra);
    const fail = (status: number, code: string, message: string) =>
      finish(res, entry, started, status, errorBody(code, message, requestId));

    if (body === null) return fail(413, ERROR_CODES.invalidBody, 'request body too large');
    if (match?.route.mutating === true) entry.body = body.subarray(0, 4096).toString('utf8');
    if (badEncoding) return fail(400, ERROR_CODES.invalidParameter, 'malformed path encoding');
    if (!match) return fail(404, ERROR_CODES.noSuchApi, `no API ${method} ${rawPath}`);
    let query: Map<string, string[]>;
    try {
      query = parseRawQuery(rawQuery);
    } catch {
      return fail(400, ERROR_CODES.invalidParameter, 'malformed query encoding');
    }

    const auth = authenticate(
      { method, rawPath, rawQuery, query, headers: req.headers, body },
      match.projectId,
      { ...credentials, projectId, now: clock.now() },
    );
    entry.signatureOk = auth.signatureOk;
    const fault = decision.fault;
    entry.fault = fault;
    if (fault === 'throttle') {
      return answer(
        429,
        errorBody('APIGW.0308', 'the throttling threshold has been reached', requestId),
        { 'Retry-After': String(decision.retryAfterSeconds ?? 1) },
      );
    }
    if (!auth.ok) {
      entry.fault = null;
      return fail(auth.status, auth.code, auth.message);
    }
    const lose = (how: 'reset' | 'hang'): void => {
      entry.durationMs = Math.round((performance.now() - started) * 100) / 100;
      if (how === 'reset') {
        req.socket.destroy();
        return;
      }
      hung.add(req.socket);
      req.socket.once('close', () => hung.delete(req.socket));
    };
    switch (fault) {
      case 'commitThenReset':
      case 'commitThenHang':
      case 'commitThen500':
      case 'commitThenJunk': {
        // Applied, then the answer is lost: what a client meets when a
        // gateway or connection fails after the backend committed.
        const result = runRoute(match, req, body, query, requestId, entry);
        if (fault === 'commitThenReset') return lose('reset');
        if (fault === 'commitThenHang') return lose('hang');
        if (fault === 'commitThen500') {
          return fail(500, 'APIGW.0101', 'the gateway lost the backend answer (simulated)');
        }
        return answer(200, truncateJson(result.body ?? { ok: true }));
      }
      case 'error500':
        return fail(500, 'WKS.00000500', 'internal server error (simulated)');
      case 'error503':
        return fail(503, 'APIGW.0202', 'the backend is unavailable (simulated)');
      case 'hang':
        return lose('hang');
      case 'reset':
        return lose('reset');
      case 'malformed':
      case 'schemaViolation': {
        const result = match.route.mutating
          ? { status: 200, body: faultedMutationBody(match.route) }
          : runRoute(match, req, body, query, requestId, entry);
        const text =
          fault === 'malformed'
            ? truncateJson(result.body)
            : JSON.stringify(violateSchema(result.body, match.route));
        return answer(result.status, text);
      }
      case null:
        break;
    }
    const result = runRoute(match, req, body, query, requestId, entry);
    return answer(
      result.status,
      result.body === undefined ? undefined : JSON.stringify(result.body),
    );
  };

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
