import { Pool } from 'undici';
import { networkError, type Send, type Transport, timeoutError } from './transport.ts';

// Not the default (lib/huawei/http1-transport.ts is): undici adds ~500 KB
// to each Lambda bundle. Kept for the bench's side by side.

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
