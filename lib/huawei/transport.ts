import { EnvHttpProxyAgent } from 'undici';
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
 * `timeoutMs`) or NetworkError (no complete answer: refused, reset, DNS,
 * TLS, a proxy's refusal), whose message names the host, the code and the
 * proxy when one is configured. Any status resolves.
 */
export type Send = (req: TransportRequest) => Promise<TransportResponse>;

export interface Transport {
  send: Send;
  /** Closes idle keep-alive connections; pending requests finish first. */
  close(): Promise<void>;
}

/** The proxy variables as every Node tool reads them: lower case first, then upper. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/** Reads `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (either case); unset or empty reads as `''`. */
export function proxySettings(env: Record<string, string | undefined>): ProxySettings {
  return {
    httpProxy: env['http_proxy'] || env['HTTP_PROXY'] || '',
    httpsProxy: env['https_proxy'] || env['HTTPS_PROXY'] || '',
    noProxy: env['no_proxy'] || env['NO_PROXY'] || '',
  };
}

/**
 * How errors name the proxy configured for an origin's scheme: its host and
 * port only (a proxy URL may carry a password), and NO_PROXY when set, as
 * the agent may go around the proxy for this host.
 */
export function proxyNote(proxy: ProxySettings, origin: string): string | undefined {
  const uri = origin.startsWith('https:') ? proxy.httpsProxy || proxy.httpProxy : proxy.httpProxy;
  if (uri === '') return undefined;
  let host: string;
  try {
    host = new URL(uri).host;
  } catch {
    host = 'unparsable URL';
  }
  return `proxy ${host}${proxy.noProxy === '' ? '' : `, NO_PROXY ${proxy.noProxy}`}`;
}

export function hostOf(origin: string): string {
  return origin.slice(origin.indexOf('//') + 2);
}

export function networkError(req: TransportRequest, error: unknown, proxy?: string): NetworkError {
  return new NetworkError({ ...req.call, host: hostOf(req.origin), proxy }, { cause: error });
}

export function timeoutError(req: TransportRequest, proxy?: string): TimeoutError {
  return new TimeoutError({
    ...req.call,
    timeoutMs: req.timeoutMs,
    deadline: req.deadline === true,
    proxy,
  });
}

export interface TransportOptions {
  /** Where the proxy variables are read; default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Sockets per origin; default 256, the most MAX_CONCURRENCY allows. */
  connections?: number;
  /** How long an idle socket is kept, ms; default 4000 (undici's). */
  keepAliveTimeoutMs?: number;
  /** Certificate authorities trusted besides Node's own (tests add theirs), PEM. */
  ca?: string;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isUndiciTimeout(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

/**
 * The transport the functions ship: undici's `EnvHttpProxyAgent`, a
 * keep-alive pool per origin that honours HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY (CONNECT for https, absolute-form for http). Redirects are not
 * followed (a 3xx resolves like any other status), so signed headers never
 * go elsewhere.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const proxy = proxySettings(options.env ?? process.env);
  const agent = new EnvHttpProxyAgent({
    // Given explicitly ('' = none) so the agent never reads process.env behind these notes.
    ...proxy,
    connections: options.connections ?? 256,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    // Plain http through an http proxy as curl sends it; https always tunnels.
    proxyTunnel: false,
    ...(options.ca === undefined
      ? {}
      : { connect: { ca: options.ca }, requestTls: { ca: options.ca } }),
  });
  const notes = new Map<string, string | undefined>();
  const noteFor = (origin: string) => {
    if (!notes.has(origin)) notes.set(origin, proxyNote(proxy, origin));
    return notes.get(origin);
  };

  const send: Send = async (req) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    try {
      const response = await agent.request({
        origin: req.origin,
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
      if (controller.signal.aborted || isUndiciTimeout(error)) {
        throw timeoutError(req, noteFor(req.origin));
      }
      throw networkError(req, error, noteFor(req.origin));
    } finally {
      clearTimeout(timer);
    }
  };

  return { send, close: () => agent.close() };
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
