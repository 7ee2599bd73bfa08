import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the scripted server received it. */
export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent. */
  url: string;
  /** Path as sent (still percent-encoded). */
  path: string;
  /** Query as sent, without `?` (still percent-encoded). */
  rawQuery: string;
  /** Decoded query. */
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the server does with a request. */
export type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; body?: string }
  /** Never answer (until the server closes). */
  | { hang: true }
  /** Reset the connection without answering. */
  | { destroy: true };

export type Handler = (req: RecordedRequest) => Reply | Promise<Reply>;

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  requests: RecordedRequest[];
  /** Replies used first, in order, one per request. */
  enqueue(...replies: Reply[]): void;
  /** The handler used once the queue is empty (default: 404 APIGW.0101). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

function send(res: ServerResponse, reply: Reply): void {
  if ('hang' in reply) return;
  if ('destroy' in reply) {
    res.socket?.destroy();
    return;
  }
  const body = reply.json !== undefined ? JSON.stringify(reply.json) : (reply.body ?? '');
  res.writeHead(reply.status ?? 200, {
    ...(reply.json !== undefined ? { 'content-type': 'application/json' } : {}),
    ...reply.headers,
  });
  res.end(body);
}

const notFound: Handler = () => ({
  status: 404,
  json: { error_code: 'APIGW.0101', error_msg: 'The API does not exist or has not been published' },
});

/** Starts a scripted HTTP server on 127.0.0.1 (random port) that records every request. */
export async function startScriptedServer(handler: Handler = notFound): Promise<ScriptedServer> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  let current = handler;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url,
        path: q === -1 ? url : url.slice(0, q),
        rawQuery: q === -1 ? '' : url.slice(q + 1),
        query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      const queued = queue.shift();
      Promise.resolve(queued ?? current(recorded)).then(
        (reply) => send(res, reply),
        () => send(res, { status: 500, body: 'handler failed' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...replies) => {
      queue.push(...replies);
    },
    handle: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A base URL on which nothing listens (connections are refused). */
export async function refusedUrl(): Promise<string> {
  const server = await startScriptedServer();
  await server.close();
  return server.url;
}
