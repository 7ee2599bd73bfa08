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
 * proxy when one is in effect. Any status resolves.
 */
export type Send = (req: TransportRequest) => Promise<TransportResponse>;

export interface Transport {
  send: Send;
  /** Nothing to release: the connections belong to Node's fetch (its global dispatcher). */
  close(): Promise<void>;
}

/** The proxy variables as every Node tool reads them: lower case first, then upper. */
export interface ProxySettings {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}

/**
 * Whether Node's fetch honours the proxy variables in this environment:
 * `NODE_USE_ENV_PROXY=1` (Node 24.0) or `--use-env-proxy` in `NODE_OPTIONS`
 * (Node 24.5), read once as the process starts. serverless.yml sets it for
 * both functions.
 */
export function proxyEnabled(env: Record<string, string | undefined>): boolean {
  return (
    env['NODE_USE_ENV_PROXY'] === '1' ||
    /(^|\s)--use-env-proxy(\s|$)/.test(env['NODE_OPTIONS'] ?? '')
  );
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
 * the request may go around the proxy for this host. When the variables name
 * a proxy that Node ignores (no `NODE_USE_ENV_PROXY=1`), the note says so.
 */
export function proxyNote(
  proxy: ProxySettings,
  origin: string,
  enabled = true,
): string | undefined {
  const uri = origin.startsWith('https:') ? proxy.httpsProxy || proxy.httpProxy : proxy.httpProxy;
  if (uri === '') return undefined;
  let host: string;
  try {
    host = new URL(uri).host;
  } catch {
    host = 'unparsable URL';
  }
  if (!enabled) return `proxy ${host} ignored: NODE_USE_ENV_PROXY is not 1`;
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
  /** Sends through this `fetch`; default Node's own (`globalThis.fetch`). */
  fetch?: typeof globalThis.fetch;
  /** Where the proxy variables are read for the errors' notes; default `process.env`. */
  env?: Record<string, string | undefined>;
}

/** fetch rejects with `TypeError('fetch failed')`; what went wrong is its cause. */
function failureOf(error: unknown): unknown {
  return error instanceof TypeError && error.message === 'fetch failed' && error.cause !== undefined
    ? error.cause
    : error;
}

/**
 * The transport the functions ship: Node's built-in `fetch` (undici inside
 * Node, loaded on the first request, so the bundle carries no HTTP library),
 * a keep-alive pool per origin. It honours HTTPS_PROXY, HTTP_PROXY and
 * NO_PROXY when the process starts with `NODE_USE_ENV_PROXY=1` (a CONNECT
 * tunnel for every proxied request). Redirects are not followed (a 3xx
 * resolves like any other status), so signed headers never go elsewhere;
 * a path fetch would send other than as signed is refused before sending.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const env = options.env ?? process.env;
  const proxy = proxySettings(env);
  const enabled = proxyEnabled(env);
  const notes = new Map<string, string | undefined>();
  const noteFor = (origin: string) => {
    if (!notes.has(origin)) notes.set(origin, proxyNote(proxy, origin, enabled));
    return notes.get(origin);
  };

  const send: Send = async (req) => {
    const url = req.origin + req.path;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), req.timeoutMs);
    // fetch derives Host from the URL and refuses to be given one.
    const { host: _host, ...headers } = req.headers;
    try {
      // The WHATWG URL parser re-encodes what it dislikes (a space becomes %20): the signature would not match.
      if (new URL(url).href !== url) {
        throw new RangeError(`the URL would be sent other than as signed: ${req.path}`);
      }
      const response = await fetchImpl(url, {
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
      if (controller.signal.aborted) throw timeoutError(req, noteFor(req.origin));
      throw networkError(req, failureOf(error), noteFor(req.origin));
    } finally {
      clearTimeout(timer);
    }
  };

  return { send, close: async () => {} };
}
