import type * as z from 'zod';
import type { Credentials } from '../config.ts';
import {
  type CallInfo,
  HuaweiApiError,
  isTransient,
  NetworkError,
  ResponseSchemaError,
  TimeoutError,
} from '../errors.ts';
import { type Log, silentLog } from '../logger.ts';
import { readErrorBody, redact } from './error-body.ts';
import { createRequestLimiter, type RequestLimiter, realSleep } from './request-limiter.ts';
import { type CanonicalTarget, createRequestSigner } from './request-signer.ts';
import { parseResponse } from './response-parser.ts';
import { backoffDelay, parseRetryAfter } from './retry-timing.ts';
import { buildQueryString, encodeRfc3986, normalizePath, type QueryParams } from './signer.ts';
import {
  createFetchTransport,
  createTransport,
  type Transport,
  type TransportResponse,
} from './transport.ts';

/**
 * The transport every core uses unless given one: made once per module, so its
 * keep-alive pools outlive one invocation and a warm Lambda reuses its sockets.
 * It reads the proxy variables of the environment (lib/huawei/transport.ts).
 */
const defaultTransport = createTransport();

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HttpCoreOptions {
  credentials: Credentials;
  projectId: string;
  /** Shared by every client of one invocation; default: no limit. */
  limiter?: RequestLimiter;
  /** How attempts go on the wire; default: one module-wide keep-alive transport over node:http(s) that honours the proxy variables (lib/huawei/transport.ts). */
  transport?: Transport;
  /** Sends through this `fetch` instead (tests that script answers); ignored when `transport` is given. */
  fetch?: typeof globalThis.fetch;
  /** Per attempt, in ms, response body included. */
  timeoutMs: number;
  /** Attempts per request, the first included, not counting throttled ones; default 5. */
  maxAttempts?: number;
  /**
   * Throttled (429) answers a request may get before it fails; default 15.
   * A 429 is the service asking for patience, not a fault, so it has its own
   * budget, still bounded by the deadline.
   */
  maxThrottledAttempts?: number;
  /** Epoch ms: no attempt starts and no backoff sleep ends past it. */
  deadlineAt?: number;
  /** First backoff ceiling in ms; doubles per retry (full jitter); default 200. */
  baseDelayMs?: number;
  /** Backoff ceiling in ms; default 5000. */
  maxDelayMs?: number;
  /** A `Retry-After` longer than this (ms) ends the retries at once; default 60000. */
  maxRetryAfterMs?: number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  log?: Log;
}

export interface HttpRequest<S extends z.ZodType> {
  method: HttpMethod;
  /** Service endpoint, e.g. `https://appstream.cn-north-4.myhuaweicloud.com`. */
  baseUrl: string;
  /** Path below the endpoint; build dynamic segments with {@link pathSegment}. */
  path: string;
  query?: QueryParams;
  /** Serialised once with JSON.stringify; that exact string is signed and sent. */
  body?: unknown;
  /** Validates a 2xx body (compiled once per schema object: lib/huawei/response-parser.ts); an empty body is checked as `undefined`. */
  schema?: S;
  /** Statuses returned as `{ status, data: undefined }` instead of thrown (e.g. 404). */
  acceptStatuses?: readonly number[];
}

export interface HttpResponse<T> {
  status: number;
  data: T | undefined;
  requestId: string | undefined;
}

export interface HttpStats {
  /** Attempts sent. */
  requests: number;
  retries: number;
  /** 429 responses received. */
  throttled: number;
}

export interface HttpCore {
  /**
   * Sends one signed request with timeout, retries and backoff. Throws
   * HuaweiApiError (non-2xx), NetworkError, TimeoutError or
   * ResponseSchemaError; none of them carries headers or keys.
   */
  request<S extends z.ZodType = z.ZodUnknown>(
    req: HttpRequest<S>,
  ): Promise<HttpResponse<z.infer<S>>>;
  readonly stats: Readonly<HttpStats>;
}

interface Target extends CanonicalTarget {
  /** `scheme://host[:port]`. */
  origin: string;
  /** Path and query exactly as signed and sent. */
  pathAndQuery: string;
  call: CallInfo;
}

/** A path made only of unreserved characters and `/` is its own canonical form. */
const CANONICAL_PATH = /^[A-Za-z0-9\-._~/]*$/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;

/**
 * One path segment, RFC 3986-encoded, for ids and other dynamic parts of a
 * path. Rejects empty, `.`, `..` and `/`-containing values, which would
 * address a different resource than the one named.
 */
export function pathSegment(value: string): string {
  if (value === '' || value === '.' || value === '..' || value.includes('/')) {
    throw new RangeError(`invalid path segment ${JSON.stringify(value.slice(0, 80))}`);
  }
  return encodeRfc3986(value);
}

function safeFields(error: unknown): Record<string, unknown> {
  const fields: Record<string, unknown> = {
    error: error instanceof Error ? error.name : 'unknown',
  };
  if (error instanceof HuaweiApiError) {
    fields['status'] = error.status;
    fields['code'] = error.code;
    fields['requestId'] = error.requestId;
  }
  if (error instanceof NetworkError) {
    fields['host'] = error.host;
    fields['code'] = error.code;
    fields['proxy'] = error.proxy;
    fields['detail'] = error.message;
  }
  return fields;
}

/**
 * The HTTP core every Huawei Cloud client shares: signs each attempt
 * (SDK-HMAC-SHA256), bounds it with a timeout, and retries 429, 500, 502,
 * 503, 504, network errors and timeouts with exponential backoff and full
 * jitter (never a certificate or host-name failure: lib/errors.ts isTransient),
 * honouring `Retry-After`, up to `maxAttempts` (throttled answers have
 * their own budget, `maxThrottledAttempts`) and never past
 * `deadlineAt`. POST and DELETE are retried too: every call this project
 * makes is idempotent (remove_member answers "already removed" on a replay).
 */
export function createHttpCore(options: HttpCoreOptions): HttpCore {
  const transport =
    options.transport ??
    (options.fetch === undefined ? defaultTransport : createFetchTransport(options.fetch));
  const limiter =
    options.limiter ??
    createRequestLimiter({ maxConcurrency: Number.POSITIVE_INFINITY, rateLimitRps: 0 });
  const maxAttempts = options.maxAttempts ?? 5;
  const maxThrottledAttempts = options.maxThrottledAttempts ?? 15;
  const timing = {
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 5_000,
    maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
    random: options.random ?? Math.random,
  };
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const log = options.log ?? silentLog;
  const { credentials, projectId, timeoutMs, deadlineAt } = options;
  const stats: HttpStats = { requests: 0, retries: 0, throttled: 0 };
  const secrets = [credentials.ak, credentials.sk, credentials.securityToken ?? ''];
  const signer = createRequestSigner(credentials, projectId);

  const bases = new Map<string, { origin: string; host: string; prefix: string }>();
  function baseOf(baseUrl: string) {
    let base = bases.get(baseUrl);
    if (base === undefined) {
      const url = new URL(baseUrl);
      if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
        throw new RangeError('baseUrl must not carry a query, fragment or user info');
      }
      base = { origin: url.origin, host: url.host, prefix: url.pathname.replace(/\/+$/, '') };
      bases.set(baseUrl, base);
    }
    return base;
  }

  function target(req: HttpRequest<z.ZodType>): Target {
    const base = baseOf(req.baseUrl);
    if (!req.path.startsWith('/') || /[?#]/.test(req.path)) {
      throw new RangeError('path must start with / and carry no query or fragment');
    }
    const joined = base.prefix + req.path;
    const path = CANONICAL_PATH.test(joined) ? joined : normalizePath(joined);
    if (DOT_SEGMENT.test(path)) throw new RangeError('path must not contain . or .. segments');
    const query = req.query ? buildQueryString(req.query) : '';
    const pathAndQuery = query === '' ? path : `${path}?${query}`;
    return {
      method: req.method,
      origin: base.origin,
      host: base.host,
      path,
      query,
      pathAndQuery,
      call: { method: req.method, path: pathAndQuery },
    };
  }

  async function attempt<S extends z.ZodType>(
    req: HttpRequest<S>,
    to: Target,
    body: string,
  ): Promise<HttpResponse<z.infer<S>>> {
    const startedAt = now();
    const remaining = deadlineAt === undefined ? Number.POSITIVE_INFINITY : deadlineAt - startedAt;
    if (remaining <= 0) throw new TimeoutError({ ...to.call, timeoutMs, deadline: true });
    const budget = Math.min(timeoutMs, remaining);
    const headers = signer.sign(to, body, startedAt);
    stats.requests += 1;
    const response = await transport.send({
      method: req.method,
      origin: to.origin,
      path: to.pathAndQuery,
      headers,
      body,
      timeoutMs: budget,
      deadline: budget < timeoutMs,
      call: to.call,
    });
    return interpret(req, to.call, response, headers);
  }

  function interpret<S extends z.ZodType>(
    req: HttpRequest<S>,
    call: CallInfo,
    response: TransportResponse,
    sent: Record<string, string>,
  ): HttpResponse<z.infer<S>> {
    const { status, text } = response;
    const headerRequestId = response.requestId;
    if (status >= 200 && status < 300) {
      const info = { ...call, requestId: headerRequestId };
      let json: unknown;
      if (text.trim() !== '') {
        try {
          json = JSON.parse(text);
        } catch {
          throw new ResponseSchemaError({
            ...info,
            detail: `body is not JSON (${text.length} characters)`,
          });
        }
      }
      if (req.schema === undefined) {
        return { status, data: json as z.infer<S>, requestId: headerRequestId };
      }
      const parsed = parseResponse(req.schema, json);
      if (!parsed.success) {
        if (json === undefined) throw new ResponseSchemaError({ ...info, detail: 'body is empty' });
        throw new ResponseSchemaError({ ...info, issues: parsed.error.issues });
      }
      return { status, data: parsed.data, requestId: headerRequestId };
    }
    const fromBody = readErrorBody(text);
    const requestId = headerRequestId ?? fromBody.requestId;
    if (req.acceptStatuses?.includes(status)) return { status, data: undefined, requestId };
    if (status === 429) stats.throttled += 1;
    const signature = sent['Authorization']?.split('Signature=')[1] ?? '';
    throw new HuaweiApiError({
      ...call,
      status,
      code: redact(fromBody.code, [...secrets, signature]),
      apiMessage: redact(fromBody.message, [...secrets, signature]),
      requestId,
      retryAfterMs: parseRetryAfter(response.retryAfter ?? null, now()),
    });
  }

  return {
    stats,
    async request<S extends z.ZodType = z.ZodUnknown>(
      req: HttpRequest<S>,
    ): Promise<HttpResponse<z.infer<S>>> {
      const to = target(req);
      const { call } = to;
      const body = req.body === undefined ? '' : JSON.stringify(req.body);
      let failures = 0;
      let throttles = 0;
      for (let attemptNumber = 1; ; attemptNumber += 1) {
        try {
          return await limiter.run(() => attempt(req, to, body));
        } catch (error) {
          const retryable =
            isTransient(error) && !(error instanceof TimeoutError && error.deadline);
          if (error instanceof HuaweiApiError && error.status === 429) throttles += 1;
          else failures += 1;
          if (!retryable || failures >= maxAttempts || throttles >= maxThrottledAttempts) {
            throw error;
          }
          const retryAfterMs = error instanceof HuaweiApiError ? error.retryAfterMs : undefined;
          const delayMs = backoffDelay(retryAfterMs, attemptNumber, timing);
          if (delayMs === undefined) throw error;
          if (deadlineAt !== undefined && now() + delayMs >= deadlineAt) throw error;
          stats.retries += 1;
          log.warn('retrying request', {
            method: call.method,
            path: call.path,
            ...safeFields(error),
            attempt: attemptNumber,
            maxAttempts,
            delayMs,
          });
          await sleep(delayMs);
        }
      }
    },
  };
}
