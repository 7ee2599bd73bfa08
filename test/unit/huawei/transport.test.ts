import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { NetworkError, TimeoutError } from '../../../lib/errors.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { signHeaders } from '../../../lib/huawei/signer.ts';
import {
  createFetchTransport,
  createTransport,
  type Transport,
  type TransportRequest,
} from '../../../lib/huawei/transport.ts';
import { refusedUrl, type ScriptedServer, startScriptedServer } from '../../helpers/http-server.ts';

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedServer();
});
afterEach(async () => {
  await server.close();
});

const CALL = { method: 'GET', path: '/v1/p/things?limit=100' };

function req(overrides: Partial<TransportRequest> = {}): TransportRequest {
  return {
    method: 'GET',
    origin: server.url,
    path: '/v1/p/things?limit=100',
    headers: { 'X-Project-Id': 'p' },
    body: '',
    timeoutMs: 2_000,
    call: CALL,
    ...overrides,
  };
}

const transports: [string, () => Transport][] = [
  ['node:http (the default)', () => createTransport({ env: {} })],
  ['fetch', () => createFetchTransport(globalThis.fetch)],
];

describe.each(transports)('%s transport', (_name, make) => {
  const made: Transport[] = [];
  const transport = () => {
    const t = make();
    made.push(t);
    return t;
  };
  afterAll(async () => {
    await Promise.all(made.map((t) => t.close()));
  });

  it('sends the method, path, query, headers and body as given and returns status, ids and text', async () => {
    server.enqueue({
      status: 201,
      headers: { 'x-request-id': 'req-1', 'content-type': 'application/json' },
      body: '{"ok":true,"name":"€"}',
    });
    const body = JSON.stringify({ server_ids: ['a b'] });
    const res = await transport().send(
      req({
        method: 'POST',
        path: '/v1/p/a%20b/things?marker=x%2Fy&limit=100',
        headers: { 'content-type': 'application/json', 'X-Sdk-Date': '20261129T000000Z' },
        body,
      }),
    );
    expect(res).toEqual({
      status: 201,
      requestId: 'req-1',
      retryAfter: undefined,
      text: '{"ok":true,"name":"€"}',
    });
    const seen = server.requests[0];
    expect(seen?.method).toBe('POST');
    expect(seen?.url).toBe('/v1/p/a%20b/things?marker=x%2Fy&limit=100');
    expect(seen?.headers['x-sdk-date']).toBe('20261129T000000Z');
    expect(seen?.headers['host']).toBe(new URL(server.url).host);
    expect(seen?.body).toBe(body);
  });

  it('resolves error statuses with Retry-After instead of throwing', async () => {
    server.enqueue({ status: 429, headers: { 'retry-after': '2' }, json: { error_code: 'X' } });
    const res = await transport().send(req());
    expect(res.status).toBe(429);
    expect(res.retryAfter).toBe('2');
    expect(res.text).toBe('{"error_code":"X"}');
  });

  it('does not follow a redirect (the signed headers stay with the host they were signed for)', async () => {
    server.enqueue({ status: 302, headers: { location: `${server.url}/elsewhere` } });
    const res = await transport().send(req());
    expect(res.status).toBe(302);
    expect(server.requests).toHaveLength(1);
  });

  it('names the host and the system code when the connection is refused', async () => {
    const url = await refusedUrl();
    const error = await transport()
      .send(req({ origin: url }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).host).toBe(new URL(url).host);
    expect((error as Error).message).toContain(`to ${new URL(url).host}`);
    expect((error as Error).message).toContain('ECONNREFUSED');
    expect((error as Error).message).toContain('GET /v1/p/things?limit=100');
  });

  it('turns a reset connection into a NetworkError', async () => {
    server.enqueue({ destroy: true });
    await expect(transport().send(req())).rejects.toBeInstanceOf(NetworkError);
  });

  // The default transport's promise (fetch may open a second socket in a race).
  it.runIf(!_name.startsWith('fetch'))(
    'keeps the connection alive: 20 sequential attempts to one origin reuse its sockets',
    async () => {
      let connections = 0;
      const keep = createHttpServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      keep.on('connection', () => {
        connections += 1;
      });
      await new Promise<void>((resolve) => keep.listen(0, '127.0.0.1', resolve));
      const origin = `http://127.0.0.1:${(keep.address() as AddressInfo).port}`;
      try {
        const t = transport();
        for (let i = 0; i < 20; i += 1) expect((await t.send(req({ origin }))).status).toBe(200);
        // undici returns a socket to its pool just after the answer: the next attempt may take a second.
        expect(connections).toBeLessThanOrEqual(2);
      } finally {
        keep.closeAllConnections();
        await new Promise<void>((resolve) => keep.close(() => resolve()));
      }
    },
  );

  it('turns a body cut short (connection closed before Content-Length) into a NetworkError, never a partial text', async () => {
    const raw = createNetServer((socket) => {
      socket.once('data', () => {
        socket.end(
          'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"items":[1,',
        );
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
    try {
      const error = await transport()
        .send(req({ origin }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
    } finally {
      await new Promise<void>((resolve) => raw.close(() => resolve()));
    }
  });

  it('ends a hanging attempt at its timeout with a TimeoutError carrying the deadline flag', async () => {
    server.enqueue({ hang: true }, { hang: true });
    const t = transport();
    const started = Date.now();
    const error = await t.send(req({ timeoutMs: 150 })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(150);
    expect((error as TimeoutError).deadline).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(1_500);
    const late = await t.send(req({ timeoutMs: 50, deadline: true })).catch((e: unknown) => e);
    expect((late as TimeoutError).deadline).toBe(true);
  });
});

describe('the HTTP core over its default transport (node:http)', () => {
  const CREDENTIALS = {
    ak: 'AKIDTRANSPORT0000001',
    sk: 'SKtransportSecretKey0123456789abcdefghij',
  };
  const core = (timeoutMs = 2_000, maxAttempts = 1) =>
    createHttpCore({
      credentials: CREDENTIALS,
      projectId: 'p',
      timeoutMs,
      maxAttempts,
    });

  it('sends a request whose signature verifies and parses the answer', async () => {
    server.enqueue({ json: { items: [1, 2] }, headers: { 'x-request-id': 'r-9' } });
    const res = await core().request({
      method: 'GET',
      baseUrl: server.url,
      path: '/v1/p/things',
      query: { limit: 100, marker: 'a/b' },
      schema: z.object({ items: z.array(z.number()) }),
    });
    expect(res).toEqual({ status: 200, data: { items: [1, 2] }, requestId: 'r-9' });
    const seen = server.requests[0];
    if (seen === undefined) throw new Error('no request');
    const signedNames = /SignedHeaders=([^,]+)/.exec(String(seen.headers['authorization']))?.[1];
    const headers: Record<string, string> = {};
    for (const name of signedNames?.split(';') ?? []) headers[name] = String(seen.headers[name]);
    const expected = signHeaders(
      { method: 'GET', url: `${server.url}${seen.url}`, headers, body: '' },
      CREDENTIALS,
    );
    expect(seen.headers['authorization']).toBe(expected.authorization);
  });

  it('lets the core time out a hanging attempt and report a refused connection', async () => {
    server.enqueue({ hang: true });
    await expect(
      core(100).request({ method: 'GET', baseUrl: server.url, path: '/v1/p/x' }),
    ).rejects.toBeInstanceOf(TimeoutError);
    const url = await refusedUrl();
    await expect(core().request({ method: 'GET', baseUrl: url, path: '/v1/p/x' })).rejects.toThrow(
      /network error to 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
    );
  });
});
