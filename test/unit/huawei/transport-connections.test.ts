import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkError, TimeoutError } from '../../../lib/errors.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { createTransport, type TransportRequest } from '../../../lib/huawei/transport.ts';
import { startForwardProxy } from '../../helpers/forward-proxy.ts';

const CALL = { method: 'GET', path: '/v1/p/x' };
const req = (origin: string, over: Partial<TransportRequest> = {}): TransportRequest => ({
  method: 'GET',
  origin,
  path: '/v1/p/x',
  headers: { 'X-Project-Id': 'p' },
  body: '',
  timeoutMs: 2_000,
  call: CALL,
  ...over,
});

interface Counted {
  server: Server;
  origin: string;
  connections: () => number;
  close: () => Promise<void>;
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<Counted> {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (body: string) => (_: unknown, res: import('node:http').ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
};

describe('the node:http transport: connections', () => {
  it('runs concurrent requests on separate connections, then reuses them', async () => {
    const s = await serve(json('{"ok":true}'));
    const t = createTransport({ env: {} });
    try {
      const first = await Promise.all(Array.from({ length: 8 }, () => t.send(req(s.origin))));
      expect(first.every((r) => r.text === '{"ok":true}')).toBe(true);
      expect(s.connections()).toBeGreaterThanOrEqual(8);
      for (let i = 0; i < 20; i += 1) await t.send(req(s.origin));
      await Promise.all(Array.from({ length: 8 }, () => t.send(req(s.origin))));
      // 36 requests, 8 at most at once: the agent may open one spare socket in a race, no more.
      expect(s.connections()).toBeLessThanOrEqual(9);
    } finally {
      await t.close();
      await s.close();
    }
  });

  it('opens a fresh connection when the server closed the idle one', async () => {
    // The server ends each connection 20 ms after answering, as its idle timeout would.
    const s = await serve((r, res) => {
      res.writeHead(200, { 'content-length': '2', connection: 'close' }).end('{}');
      setTimeout(() => r.socket.end(), 20);
    });
    const t = createTransport({ keepAliveTimeoutMs: 10_000, env: {} });
    try {
      await t.send(req(s.origin));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect((await t.send(req(s.origin))).status).toBe(200);
      expect(s.connections()).toBe(2);
    } finally {
      await t.close();
      await s.close();
    }
  });

  it('after a timeout mid-body, drops that connection and answers the next request on a fresh one', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      n += 1;
      res.writeHead(200, { 'content-length': '10' });
      if (n === 1) res.write('{"a":');
      else res.end('{"a":1234}');
    });
    const t = createTransport({ env: {} });
    try {
      const error = await t.send(req(s.origin, { timeoutMs: 100 })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TimeoutError);
      expect((await t.send(req(s.origin))).text).toBe('{"a":1234}');
    } finally {
      await t.close();
      await s.close();
    }
  });

  it('lets the process exit with idle connections open (they do not hold the event loop)', async () => {
    const s = await serve(json('{}'));
    try {
      const script = `import { createTransport } from './lib/huawei/transport.ts';
        const t = createTransport({ keepAliveTimeoutMs: 60000, env: {} });
        const r = await t.send({ method: 'GET', origin: ${JSON.stringify(s.origin)}, path: '/x', headers: {}, body: '', timeoutMs: 2000, call: { method: 'GET', path: '/x' } });
        console.log(r.status);`;
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        {
          cwd: join(import.meta.dirname, '../../..'),
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill();
          resolve(null);
        }, 15_000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(out.trim()).toBe('200');
      expect(code).toBe(0);
    } finally {
      await s.close();
    }
  }, 20_000);
});

describe('the node:http transport: what it refuses', () => {
  let s: Counted;
  const seen: string[] = [];
  beforeAll(async () => {
    s = await serve((r, res) => {
      seen.push(r.url ?? '');
      if (r.url === '/gzip') {
        res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': '2' }).end('{}');
        return;
      }
      res.writeHead(200, { 'content-length': '2' }).end('{}');
    });
  });
  afterAll(async () => {
    await s.close();
  });

  it.each([
    ['a header value with CR LF', { headers: { 'X-A': 'b\r\nX-Injected: 1' } }],
    ['a header name that is not a token', { headers: { 'X A': 'b' } }],
    ['a path with a space', { path: '/a b' }],
  ] as [string, Partial<TransportRequest>][])('refuses %s and sends nothing', async (_n, over) => {
    const before = seen.length;
    const t = createTransport({ env: {} });
    const error = await t.send(req(s.origin, over)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(seen.length).toBe(before);
    await t.close();
  });

  it('sends Content-Length for a body and for an empty POST', async () => {
    const got: (string | undefined)[] = [];
    const echo = await serve((r, res) => {
      got.push(r.headers['content-length']);
      r.resume();
      r.once('end', () => res.writeHead(200, { 'content-length': '0' }).end());
    });
    const t = createTransport({ env: {} });
    try {
      await t.send(req(echo.origin, { method: 'POST', body: '{"é":1}' }));
      await t.send(req(echo.origin, { method: 'POST' }));
      await t.send(req(echo.origin));
      expect(got).toEqual([String(Buffer.byteLength('{"é":1}')), '0', undefined]);
    } finally {
      await t.close();
      await echo.close();
    }
  });
});

describe('the node:http transport over TLS', () => {
  let dir: string;
  let origin: string;
  let close: () => Promise<void>;
  let ca: string;
  let handshakes = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aps-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: ca },
      (_r, res) => res.writeHead(200, { 'content-length': '11' }).end('{"tls":true}'.slice(0, 11)),
    );
    const sockets = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      handshakes += 1;
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `https://localhost:${(server.address() as AddressInfo).port}`;
    close = () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
  });
  afterAll(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the certificate: refused without the CA, answered with it', async () => {
    const untrusting = createTransport({ env: {} });
    const error = await untrusting.send(req(origin)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
    await untrusting.close();
    const trusting = createTransport({ ca, env: {} });
    expect((await trusting.send(req(origin))).text).toBe('{"tls":true');
    expect((await trusting.send(req(origin))).status).toBe(200);
    await trusting.close();
  });

  it('checks the host name against the certificate', async () => {
    const t = createTransport({ ca, env: {} });
    const byIp = origin.replace('localhost', '127.0.0.1');
    const error = await t.send(req(byIp)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
    await t.close();
  });

  it.each([
    ['an untrusted certificate', () => origin, undefined],
    ['a certificate for another host name', () => origin.replace('localhost', '127.0.0.1'), 'ca'],
  ] as const)('never retries %s: one connection, one loud error', async (_n, target, trust) => {
    const before = handshakes;
    const transport = createTransport({ env: {}, ...(trust === 'ca' ? { ca } : {}) });
    const core = createHttpCore({
      credentials: { ak: 'AKIDTLS0000000000001', sk: 'SKtlsSecretKey0123456789abcdefghijklmn' },
      projectId: 'p',
      timeoutMs: 2_000,
      maxAttempts: 5,
      baseDelayMs: 1,
      transport,
    });
    const error = await core
      .request({ method: 'GET', baseUrl: target(), path: '/v1/p/x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as Error).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|ALTNAME/);
    expect(core.stats.requests).toBe(1);
    expect(handshakes - before).toBe(1);
    await transport.close();
  });

  it('tunnels https through HTTPS_PROXY with CONNECT, the certificate still checked end to end', async () => {
    const proxy = await startForwardProxy();
    const through = createTransport({ env: { HTTPS_PROXY: proxy.url }, ca });
    const untrusting = createTransport({ env: { HTTPS_PROXY: proxy.url } });
    try {
      expect((await through.send(req(origin))).text).toBe('{"tls":true');
      const error = await untrusting.send(req(origin)).catch((e: unknown) => e);
      expect((error as Error).message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
      expect(proxy.log.map((r) => r.kind)).toEqual(['CONNECT', 'CONNECT']);
      expect(proxy.log[0]?.target).toBe(new URL(origin).host);
    } finally {
      await through.close();
      await untrusting.close();
      await proxy.close();
    }
  });
});
