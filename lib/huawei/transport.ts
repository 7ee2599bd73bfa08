import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
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
  /** Closes its keep-alive connections. */
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
  /** How long an idle socket is kept, ms; default 4000. */
  keepAliveTimeoutMs?: number;
  /** Certificate authorities trusted besides Node's own (tests add theirs), PEM. */
  ca?: string;
}

/**
 * The transport the functions ship: Node's own `http`/`https` clients (no
 * HTTP library in the bundle), one keep-alive agent per scheme that honours
 * HTTPS_PROXY, HTTP_PROXY and NO_PROXY through Node's built-in proxy support
 * (`Agent` `proxyEnv`, Node 24.5: CONNECT for https, absolute-form for http).
 * Redirects are not followed (a 3xx resolves like any other status), so
 * signed headers never go elsewhere.
 */
export function createTransport(options: TransportOptions = {}): Transport {
  const env = options.env ?? process.env;
  const proxy = proxySettings(env);
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.connections ?? 256,
    // Idle sockets close after this (the agent destroys a free socket on its timeout).
    timeout: options.keepAliveTimeoutMs ?? 4_000,
    // Given explicitly ('' = none) so the agent never reads process.env behind these notes.
    proxyEnv: {
      HTTP_PROXY: proxy.httpProxy,
      HTTPS_PROXY: proxy.httpsProxy,
      NO_PROXY: proxy.noProxy,
    },
    ...(options.ca === undefined ? {} : { ca: [...rootCertificates, options.ca] }),
  };
  const agents = { http: new HttpAgent(agentOptions), https: new HttpsAgent(agentOptions) };
  const notes = new Map<string, string | undefined>();
  const noteFor = (origin: string) => {
    if (!notes.has(origin)) notes.set(origin, proxyNote(proxy, origin));
    return notes.get(origin);
  };
  const targets = new Map<string, Target>();
  const targetOf = (origin: string): Target => {
    let target = targets.get(origin);
    if (target === undefined) {
      const url = new URL(origin);
      target = {
        secure: url.protocol === 'https:',
        protocol: url.protocol,
        // node:http wants an IPv6 address without its brackets.
        hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port,
      };
      targets.set(origin, target);
    }
    return target;
  };

  const send: Send = (req) =>
    new Promise<TransportResponse>((resolve, reject) => {
      let request: ClientRequest | undefined;
      let timedOut = false;
      let settled = false;
      const fail = (error: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(
          timedOut
            ? timeoutError(req, noteFor(req.origin))
            : networkError(req, error, noteFor(req.origin)),
        );
      };
      // One timer bounds the whole attempt; destroying the request drops its connection.
      const timer = setTimeout(() => {
        timedOut = true;
        fail(undefined);
        request?.destroy();
      }, req.timeoutMs);
      const headers: Record<string, string> = { ...req.headers };
      // An empty POST still says so, as fetch and undici do (some gateways want it).
      if (req.body !== '' || req.method === 'POST' || req.method === 'PUT') {
        headers['content-length'] = String(Buffer.byteLength(req.body));
      }
      try {
        const { secure, ...to } = targetOf(req.origin);
        // The path as given: node:http refuses one with a space or a control character rather than re-encode it.
        request = (secure ? httpsRequest : httpRequest)(
          {
            ...to,
            path: req.path,
            method: req.method,
            headers,
            agent: secure ? agents.https : agents.http,
          },
          (response) => {
            const chunks: Buffer[] = [];
            response.on('data', (chunk: Buffer) => chunks.push(chunk));
            response.once('error', fail);
            // A body cut short (the connection closed before Content-Length) is no answer.
            response.once('close', () => {
              if (!response.complete)
                fail(new Error('the connection closed before the whole body arrived'));
            });
            response.once('end', () => {
              if (settled || !response.complete) return;
              settled = true;
              clearTimeout(timer);
              resolve({
                status: response.statusCode ?? 0,
                requestId: header(response.headers['x-request-id']),
                retryAfter: header(response.headers['retry-after']),
                text: Buffer.concat(chunks).toString('utf8'),
              });
            });
          },
        );
      } catch (error) {
        // Refused before anything is sent: a header with CR or LF, a path with a space.
        fail(error);
        return;
      }
      request.once('error', fail);
      request.end(req.body === '' ? undefined : req.body);
    });

  return {
    send,
    async close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

/** Where an origin's requests go, parsed once. */
interface Target {
  secure: boolean;
  protocol: string;
  hostname: string;
  port: string;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
        const body = await response.text();
        return {
          status: response.status,
          requestId: response.headers.get('x-request-id') ?? undefined,
          retryAfter: response.headers.get('retry-after') ?? undefined,
          text: body,
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
