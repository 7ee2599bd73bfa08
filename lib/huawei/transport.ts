import { Pool } from 'undici';
import { type CallInfo, NetworkError, TimeoutError } from '../errors.ts';

/**
 * One attempt as the wire sees it: already signed, already encoded. The
 * request loop (lib/huawei/http.ts) decides retries; a transport only sends.
 */
export interface TransportRequest {
  method: string;
  /** `scheme://host[:port]`, no path. */
  origin: string;
  /** Path and query exactly as signed. */
  path: string;
  /** Signed headers; `host` may be among them (it must equal the origin's). */
  headers: Record<string, string>;
  /** The exact body string that was signed; `''` sends none. */
  body: string;
  /** Whole attempt, headers and body included, in ms. */
  timeoutMs: number;
  /** True when `timeoutMs` is what is left before the caller's deadline (not the per-attempt timeout). */
  deadline?: boolean;
  /** Names the call in the errors thrown. */
  call: CallInfo;
}

export interface TransportResponse {
  status: number;
  /** `X-Request-Id`, when the service sent one. */
  requestId: string | undefined;
  /** The raw `Retry-After` value, when present. */
  retryAfter: string | undefined;
  /** The whole body, UTF-8 decoded. */
  text: string;
}

/**
 * Sends one attempt. Rejects only with TimeoutError (the attempt outlived
 * `timeoutMs`) or NetworkError (no complete answer: refused, reset, DNS),
 * whose message names the host and the system code. Any status resolves.
 */
export type Send = (req: TransportRequest) => Promise<TransportResponse>;

export interface Transport {
  send: Send;
  /** Closes idle keep-alive connections; pending requests finish first. */
  close(): Promise<void>;
}

export interface UndiciTransportOptions {
  /** Sockets per origin; default unlimited (the request limiter bounds them). */
  connections?: number;
  /** How long an idle socket is kept, ms; default 4000 (undici's). */
  keepAliveTimeoutMs?: number;
}

/** One keep-alive Pool per origin, made on first use. */
function createPools(options: UndiciTransportOptions): {
  poolFor(origin: string): Pool;
  closeAll(): Promise<void>;
} {
  const pools = new Map<string, Pool>();
  return {
    poolFor(origin) {
      let pool = pools.get(origin);
      if (pool === undefined) {
        pool = new Pool(origin, {
          ...(options.connections === undefined ? {} : { connections: options.connections }),
          keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
        });
        pools.set(origin, pool);
      }
      return pool;
    },
    async closeAll() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map((pool) => pool.close()));
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function hostOf(origin: string): string {
  return origin.slice(origin.indexOf('//') + 2);
}

function networkError(req: TransportRequest, error: unknown): NetworkError {
  return new NetworkError({ ...req.call, host: hostOf(req.origin) }, { cause: error });
}

function timeoutError(req: TransportRequest): TimeoutError {
  return new TimeoutError({
    ...req.call,
    timeoutMs: req.timeoutMs,
    deadline: req.deadline === true,
  });
}

/**
 * An `undici` Pool per origin with keep-alive: no WHATWG streams, no
 * Request/Response objects, one timer per attempt. Redirects are not followed
 * (a 3xx resolves like any other status), so signed headers never go elsewhere.
 */
export function createUndiciTransport(options: UndiciTransportOptions = {}): Transport {
  const { poolFor, closeAll } = createPools(options);

  const send: Send = async (req) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    try {
      const response = await poolFor(req.origin).request({
        method: req.method as 'GET',
        path: req.path,
        headers: req.headers,
        body: req.body === '' ? null : req.body,
        signal: controller.signal,
        // The timer above bounds the whole attempt; these only stop undici's own 300 s defaults.
        headersTimeout: req.timeoutMs,
        bodyTimeout: req.timeoutMs,
      });
      const text = await response.body.text();
      return {
        status: response.statusCode,
        requestId: header(response.headers['x-request-id']),
        retryAfter: header(response.headers['retry-after']),
        text,
      };
    } catch (error) {
      if (controller.signal.aborted || isUndiciTimeout(error)) throw timeoutError(req);
      throw networkError(req, error);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    send,
    close: closeAll,
  };
}

function isUndiciTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/**
 * The same contract over a `fetch` function: for tests that script answers
 * with a fake fetch, and for runtimes without sockets.
 */
export function createFetchTransport(fetchImpl: typeof globalThis.fetch): Transport {
  return {
    async send(req) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), req.timeoutMs);
      // fetch derives Host from the URL and refuses to be given one.
      const { host: _host, ...headers } = req.headers;
      try {
        const response = await fetchImpl(req.origin + req.path, {
          method: req.method,
          headers,
          ...(req.body === '' ? {} : { body: req.body }),
          signal: controller.signal,
          // A redirect would replay the signed headers, token included, elsewhere.
          redirect: 'manual',
        });
        const text = await response.text();
        return {
          status: response.status,
          requestId: response.headers.get('x-request-id') ?? undefined,
          retryAfter: response.headers.get('retry-after') ?? undefined,
          text,
        };
      } catch (error) {
        if (controller.signal.aborted) throw timeoutError(req);
        throw networkError(req, error);
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {},
  };
}
