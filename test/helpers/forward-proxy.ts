import { createServer, request as httpRequest } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** One request the proxy handled: a CONNECT tunnel or an absolute-form request. */
export interface ProxiedRequest {
  kind: 'CONNECT' | 'absolute-form';
  /** `host:port` for CONNECT; the absolute URL for absolute-form. */
  target: string;
  method: string;
}

export interface ForwardProxy {
  /** `http://127.0.0.1:<port>` */
  url: string;
  log: ProxiedRequest[];
  close(): Promise<void>;
}

/**
 * A forward proxy on 127.0.0.1, as a VPC's egress proxy is: CONNECT opens a
 * tunnel (https), absolute-form requests are forwarded (plain http). With
 * `refuseConnect` it answers every CONNECT with that status instead.
 */
export async function startForwardProxy(
  options: { refuseConnect?: number } = {},
): Promise<ForwardProxy> {
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const target = new URL(req.url ?? '');
    log.push({ kind: 'absolute-form', target: target.href, method: req.method ?? '' });
    const upstream = httpRequest(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    log.push({ kind: 'CONNECT', target: req.url ?? '', method: 'CONNECT' });
    if (options.refuseConnect !== undefined) {
      client.end(`HTTP/1.1 ${options.refuseConnect} Refused\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const drop = () => {
      upstream.destroy();
      client.destroy();
    };
    upstream.on('error', drop);
    client.on('error', drop);
    sockets.add(upstream);
  });
  server.on('connection', (socket: Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
