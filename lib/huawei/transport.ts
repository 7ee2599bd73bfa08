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

export function hostOf(origin: string): string {
  return origin.slice(origin.indexOf('//') + 2);
}

export function networkError(req: TransportRequest, error: unknown): NetworkError {
  return new NetworkError({ ...req.call, host: hostOf(req.origin) }, { cause: error });
}

export function timeoutError(req: TransportRequest): TimeoutError {
  return new TimeoutError({
    ...req.call,
    timeoutMs: req.timeoutMs,
    deadline: req.deadline === true,
  });
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
