import { isIP, connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { type Http1Response, Http1ResponseReader } from './http1-response.ts';
import {
  networkError,
  type Send,
  type Transport,
  type TransportRequest,
  timeoutError,
} from './transport.ts';

export interface Http1TransportOptions {
  /** How long an idle connection may wait for reuse, ms; default 4000 (below common 5 s server timeouts). */
  keepAliveTimeoutMs?: number;
  /** Largest answer body accepted, bytes; default 64 MiB. */
  maxBodyBytes?: number;
  /** Extra trust for TLS (a test CA). Certificates and host names are always verified. */
  tls?: Pick<ConnectionOptions, 'ca'>;
}

/** One origin's address and its idle connections, most recently used last. */
interface Endpoint {
  secure: boolean;
  host: string;
  port: number;
  /** `host[:port]` as the origin spells it: the `Host` header when none is given. */
  authority: string;
  idle: Connection[];
  /** The last TLS session, offered on the next connect (abbreviated handshake). */
  session: Buffer | undefined;
}

type Settle = (error: Error | undefined, response: Http1Response | undefined) => void;

const METHOD = /^[A-Z]+$/;
const PATH = /^\/[\x21-\x7e]*$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function closedError(): Error {
  return Object.assign(new Error('connection closed before the answer was complete'), {
    code: 'ECONNRESET',
  });
}

/** The request head; throws a RangeError on a method, path or header that could split it. */
function requestHead(req: TransportRequest, authority: string): string {
  // HEAD and CONNECT answers are framed differently; nothing here sends them.
  if (!METHOD.test(req.method) || req.method === 'HEAD' || req.method === 'CONNECT') {
    throw new RangeError(`unsupported method ${req.method.slice(0, 20)}`);
  }
  if (!PATH.test(req.path)) throw new RangeError('invalid request path');
  let head = `${req.method} ${req.path} HTTP/1.1\r\n`;
  let host = false;
  for (const name in req.headers) {
    const value = req.headers[name] as string;
    if (!FIELD_NAME.test(name) || !FIELD_VALUE.test(value)) {
      throw new RangeError(`invalid header ${name.slice(0, 40)}`);
    }
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'connection' || lower === 'transfer-encoding') {
      throw new RangeError(`header ${lower} is set by the transport`);
    }
    if (lower === 'host') host = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!host) head += `host: ${authority}\r\n`;
  if (req.body !== '' || BODY_METHODS.has(req.method)) {
    head += `content-length: ${Buffer.byteLength(req.body)}\r\n`;
  }
  return `${head}connection: keep-alive\r\n\r\n`;
}

/** One socket and the one request it carries at a time (no pipelining). */
class Connection {
  private reader: Http1ResponseReader | undefined;
  private settle: Settle | undefined;
  idleSince = 0;

  constructor(
    readonly socket: Socket,
    private readonly endpoint: Endpoint,
    private readonly maxBodyBytes: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (error) => this.onGone(error));
    socket.on('close', () => this.onGone(undefined));
  }

  begin(wire: string, settle: Settle): void {
    this.reader = new Http1ResponseReader({ maxBodyBytes: this.maxBodyBytes });
    this.settle = settle;
    this.socket.ref();
    this.socket.write(wire);
  }

  /** Ends the request in flight, if any, without an answer (timeout): the socket is dropped. */
  abandon(): void {
    this.reader = undefined;
    this.settle = undefined;
    this.socket.destroy();
  }

  private done(error: Error | undefined, response: Http1Response | undefined): void {
    const settle = this.settle;
    this.reader = undefined;
    this.settle = undefined;
    settle?.(error, response);
  }

  private onData(chunk: Buffer): void {
    const reader = this.reader;
    if (reader === undefined) {
      // Bytes nobody asked for: the connection cannot be trusted with another request.
      this.socket.destroy();
      return;
    }
    let response: Http1Response | undefined;
    try {
      response = reader.push(chunk);
    } catch (error) {
      this.socket.destroy();
      this.done(error as Error, undefined);
      return;
    }
    if (response !== undefined) this.done(undefined, response);
  }

  private onEnd(): void {
    const response = this.reader?.end();
    this.socket.destroy();
    if (this.reader !== undefined) this.done(response ? undefined : closedError(), response);
  }

  private onGone(error: Error | undefined): void {
    const idle = this.endpoint.idle;
    const at = idle.indexOf(this);
    if (at !== -1) idle.splice(at, 1);
    if (this.reader !== undefined) this.done(error ?? closedError(), undefined);
  }
}

/**
 * The transport the functions ship with: HTTP/1.1 over `node:net` /
 * `node:tls` sockets, kept alive per origin and reused most recently used
 * first, one request per connection at a time. It writes each request in one
 * piece and reads the answer with lib/huawei/http1-response.ts, without
 * node:http's per-request objects and streams (bench/PROFILE.md measures
 * both). Redirects are never followed, so signed headers never go elsewhere;
 * no `Accept-Encoding` is sent and an encoded answer is refused. The whole
 * attempt, connect and body included, is bounded by `timeoutMs`; on expiry
 * the connection is dropped. An idle connection is reused only within
 * `keepAliveTimeoutMs`, so a server's own idle timeout seldom races a reuse
 * (when it does, the request loop's retry covers it).
 */
export function createHttp1Transport(options: Http1TransportOptions = {}): Transport {
  const keepAliveMs = options.keepAliveTimeoutMs ?? 4_000;
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const endpoints = new Map<string, Endpoint>();
  let closed = false;

  function endpointOf(origin: string): Endpoint {
    let endpoint = endpoints.get(origin);
    if (endpoint === undefined) {
      const url = new URL(origin);
      const secure = url.protocol === 'https:';
      if (!secure && url.protocol !== 'http:')
        throw new RangeError(`unsupported scheme ${url.protocol}`);
      endpoint = {
        secure,
        host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
        authority: url.host,
        idle: [],
        session: undefined,
      };
      endpoints.set(origin, endpoint);
    }
    return endpoint;
  }

  function connect(endpoint: Endpoint): Connection {
    const { host, port } = endpoint;
    let socket: Socket;
    if (endpoint.secure) {
      const tls = tlsConnect({
        host,
        port,
        ...(isIP(host) === 0 ? { servername: host } : {}),
        ALPNProtocols: ['http/1.1'],
        ...(endpoint.session ? { session: endpoint.session } : {}),
        ...options.tls,
      });
      tls.on('session', (session: Buffer) => {
        endpoint.session = session;
      });
      socket = tls;
    } else {
      socket = netConnect({ host, port });
    }
    socket.setNoDelay(true);
    return new Connection(socket, endpoint, maxBodyBytes);
  }

  function acquire(endpoint: Endpoint): Connection {
    const now = Date.now();
    for (let conn = endpoint.idle.pop(); conn !== undefined; conn = endpoint.idle.pop()) {
      if (!conn.socket.destroyed && now - conn.idleSince < keepAliveMs) return conn;
      conn.socket.destroy();
    }
    return connect(endpoint);
  }

  function release(endpoint: Endpoint, conn: Connection, reusable: boolean): void {
    if (!reusable || closed || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.idleSince = Date.now();
    conn.socket.unref();
    endpoint.idle.push(conn);
  }

  const send: Send = (req) =>
    new Promise((resolve, reject) => {
      let endpoint: Endpoint;
      let wire: string;
      try {
        endpoint = endpointOf(req.origin);
        wire = requestHead(req, endpoint.authority) + req.body;
      } catch (error) {
        // Nothing was sent.
        reject(networkError(req, error));
        return;
      }
      const conn = acquire(endpoint);
      const timer = setTimeout(() => {
        conn.abandon();
        reject(timeoutError(req));
      }, req.timeoutMs);
      conn.begin(wire, (error, response) => {
        clearTimeout(timer);
        if (response === undefined) {
          reject(networkError(req, error));
          return;
        }
        const encoding = response.headers.get('content-encoding');
        if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
          conn.socket.destroy();
          reject(networkError(req, new Error(`unrequested content-encoding ${encoding}`)));
          return;
        }
        release(endpoint, conn, response.reusable);
        resolve({
          status: response.status,
          requestId: response.headers.get('x-request-id'),
          retryAfter: response.headers.get('retry-after'),
          text: response.body.toString('utf8'),
        });
      });
    });

  return {
    send,
    async close() {
      closed = true;
      for (const endpoint of endpoints.values()) {
        for (const conn of endpoint.idle.splice(0)) conn.socket.destroy();
      }
    },
  };
}
