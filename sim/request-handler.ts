// One request's path: admin or API → auth → fault → route → answer, over the
// simulator's shared state, clock, faults and counters (sim/server.ts owns
// them). Faulted bodies are in fault-answers.ts, the call log in
// call-log.ts, reading and writing HTTP in http-io.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { handleAdmin } from './admin.ts';
import { authenticate, parseRawQuery } from './auth.ts';
import { appendCall, type CallLogEntry } from './call-log.ts';
import type { VirtualClock } from './clock.ts';
import { faultedMutationBody, truncateJson, violateSchema } from './fault-answers.ts';
import type { FaultInjector } from './faults.ts';
import { createSender, errorBody, errorObject, readBody } from './http-io.ts';
import { settleLogoffs } from './logoff.ts';
import { deterministicHex } from './prng.ts';
import { ERROR_CODES, SimHttpError } from './route-params.ts';
import { matchRoute, type RouteMatch, type RouteResult } from './routes.ts';
import type { SimCredentials } from './simulator-options.ts';
import type { SimState } from './state.ts';

/** One API request on its way to its route's handler. */
interface RouteCall {
  match: RouteMatch;
  req: IncomingMessage;
  body: Buffer;
  query: ReadonlyMap<string, readonly string[]>;
  requestId: string;
  entry: CallLogEntry;
}

/** What a request reads and changes of the running simulator. */
export interface RequestContext {
  state: SimState;
  clock: VirtualClock;
  faults: FaultInjector;
  calls: CallLogEntry[];
  callLogLimit: number;
  credentials: SimCredentials;
  seed: number;
  projectId(): string;
  /** Request ids are derived from these; `reset` starts a new epoch. */
  counters: { epoch: number; seq: number; adminSeq: number };
  /** Connections left hanging on purpose, destroyed on close. */
  hung: Set<Socket>;
  applyFaults(config: unknown): void;
  reset(): void;
  sleep(ms: number): Promise<void>;
  isClosed(): boolean;
}

/** The request listener of the simulator's HTTP server. */
export function createRequestHandler(
  ctx: RequestContext,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { state, clock, faults, calls, callLogLimit, credentials, seed, counters, hung } = ctx;
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
    counters.adminSeq += 1;
    const requestId = `sim-${deterministicHex(seed, counters.epoch, 'admin', counters.adminSeq)}`;
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
        setFaults: ctx.applyFaults,
        reset: ctx.reset,
      });
    } catch (error) {
      if (!(error instanceof SimHttpError)) throw error;
      send(res, requestId, error.status, errorBody(error.code, error.message, requestId));
      return;
    }
    send(res, requestId, result.status, JSON.stringify(result.body));
  };

  /** Runs the route's handler; its status is logged as the route's own (a fault may answer otherwise). */
  const runRoute = (call: RouteCall): { status: number; body: unknown } => {
    const result = runHandler(call);
    call.entry.routeStatus = result.status;
    return result;
  };

  const runHandler = ({
    match,
    req,
    body,
    query,
    requestId,
    entry,
  }: RouteCall): { status: number; body: unknown } => {
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
    counters.seq += 1;
    const seq = counters.seq;
    const requestId = deterministicHex(seed, counters.epoch, seq);
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
    if (decision.latencyMs > 0) await ctx.sleep(decision.latencyMs);
    if (ctx.isClosed()) return;

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

    const call: RouteCall = { match, req, body, query, requestId, entry };
    const auth = authenticate(
      { method, rawPath, rawQuery, query, headers: req.headers, body },
      match.projectId,
      { ...credentials, projectId: ctx.projectId(), now: clock.now() },
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
        const result = runRoute(call);
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
          : runRoute(call);
        const text =
          fault === 'malformed'
            ? truncateJson(result.body)
            : JSON.stringify(violateSchema(result.body, match.route));
        return answer(result.status, text);
      }
      case null:
        break;
    }
    const result = runRoute(call);
    return answer(
      result.status,
      result.body === undefined ? undefined : JSON.stringify(result.body),
    );
  };

  return handle;
}
