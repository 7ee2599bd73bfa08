import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { Credentials } from '../../../lib/config.ts';
import {
  HuaweiApiError,
  NetworkError,
  ResponseSchemaError,
  TimeoutError,
} from '../../../lib/errors.ts';
import { createHttpCore, type HttpCoreOptions, pathSegment } from '../../../lib/huawei/http.ts';
import { createRequestLimiter, type RequestLimiter } from '../../../lib/huawei/request-limiter.ts';
import { ListServerGroupsResponseSchema } from '../../../lib/huawei/schemas.ts';
import { signHeaders } from '../../../lib/huawei/signer.ts';
import { createMemoryLog } from '../../../lib/logger.ts';
import { refusedUrl, type ScriptedServer, startScriptedServer } from '../../helpers/http-server.ts';

const CREDENTIALS: Credentials = {
  ak: 'AKIDHTTPTEST00000001',
  sk: 'SKsecretHttpTestSecretKey0123456789abcdefg',
  securityToken: 'STStokenHttpTestSecurityToken0123456789',
};
const PROJECT = '0123456789abcdef0123456789abcdef';
const T0 = 1_700_000_000_000;

let server: ScriptedServer;
beforeEach(async () => {
  server = await startScriptedServer();
});
afterEach(async () => {
  await server.close();
});

/** A core on a virtual clock whose sleeps return at once and are recorded. */
function makeCore(overrides: Partial<HttpCoreOptions> = {}) {
  let time = T0;
  const delays: number[] = [];
  const http = createHttpCore({
    credentials: CREDENTIALS,
    projectId: PROJECT,
    timeoutMs: 2_000,
    random: () => 0.5,
    now: () => time,
    sleep: async (ms) => {
      delays.push(ms);
      time += ms;
    },
    ...overrides,
  });
  return { http, delays, now: () => time };
}

const get = (path = '/v1/p/things', extra: Record<string, unknown> = {}) => ({
  method: 'GET' as const,
  baseUrl: server.url,
  path,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('createHttpCore: the request on the wire', () => {
  it('sends a signed request whose signature the server can recompute', async () => {
    server.handle(() => ({ json: { ok: true }, headers: { 'X-Request-Id': 'req-1' } }));
    const { http } = makeCore();
    const result = await http.request({
      method: 'POST',
      baseUrl: server.url,
      path: `/v1/${pathSegment('p 1')}/items/${pathSegment('ü*')}`,
      query: { b: ['2', '1'], a: 'x y', skip: undefined },
      body: { remove_member: { instance_uuid: 'i-1' } },
    });
    expect(result).toEqual({ status: 200, data: { ok: true }, requestId: 'req-1' });

    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/p%201/items/%C3%BC%2A');
    expect(req?.rawQuery).toBe('a=x%20y&b=1&b=2');
    expect(req?.body).toBe('{"remove_member":{"instance_uuid":"i-1"}}');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-project-id']).toBe(PROJECT);
    expect(req?.headers['x-security-token']).toBe(CREDENTIALS.securityToken);
    expect(req?.headers['x-sdk-date']).toBe('20231114T221320Z');

    const h = req?.headers ?? {};
    const recomputed = signHeaders(
      {
        method: 'POST',
        url: `${server.url}${req?.url}`,
        headers: {
          'content-type': String(h['content-type']),
          host: String(h.host),
          'x-project-id': String(h['x-project-id']),
          'x-sdk-date': String(h['x-sdk-date']),
          'x-security-token': String(h['x-security-token']),
        },
        body: req?.body ?? '',
      },
      CREDENTIALS,
    );
    expect(h.authorization).toBe(recomputed.authorization);
    expect(recomputed.signedHeaders).toBe(
      'content-type;host;x-project-id;x-sdk-date;x-security-token',
    );
  });

  it('keeps a base path of the endpoint and rejects dot segments', async () => {
    server.handle(() => ({ status: 200 }));
    const { http } = makeCore();
    await http.request({ method: 'GET', baseUrl: `${server.url}/prefix/`, path: '/v1/x' });
    expect(server.requests[0]?.path).toBe('/prefix/v1/x');
    await expect(http.request(get('/v1/%2e%2e/admin'))).rejects.toThrow(/\. or \.\. segments/);
    expect(() => pathSegment('a/b')).toThrow(RangeError);
    expect(() => pathSegment('..')).toThrow(RangeError);
  });
});

describe('createHttpCore: retries', () => {
  it.each([429, 500, 502, 503, 504])('retries a %i and then succeeds', async (status) => {
    server.enqueue({ status, json: { error_code: 'X.1', error_msg: 'try later' } });
    server.handle(() => ({ json: { n: 1 } }));
    const { http, delays } = makeCore();
    const result = await http.request(get());
    expect(result.data).toEqual({ n: 1 });
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([100]);
    expect(http.stats).toEqual({ requests: 2, retries: 1, throttled: status === 429 ? 1 : 0 });
  });

  it.each([400, 401, 403, 404, 409])('does not retry a %i', async (status) => {
    server.handle(() => ({ status, json: { error_code: 'WKS.0001', error_msg: 'no' } }));
    const { http, delays } = makeCore();
    const error = await failure(http.request(get()));
    expect(error).toBeInstanceOf(HuaweiApiError);
    expect((error as HuaweiApiError).status).toBe(status);
    expect(server.requests).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('does not follow a redirect with the signed headers', async () => {
    server.handle(() => ({ status: 302, headers: { location: 'http://127.0.0.1:1/steal' } }));
    const { http } = makeCore();
    const error = await failure(http.request(get()));
    expect((error as HuaweiApiError).status).toBe(302);
    expect(server.requests).toHaveLength(1);
  });

  it('backs off exponentially with full jitter and stops after maxAttempts', async () => {
    server.handle(() => ({ status: 503, json: { code: 'SVC.503', message: 'busy' } }));
    const { http, delays } = makeCore({
      maxAttempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 300,
      random: () => 0.999,
    });
    const error = await failure(http.request(get()));
    expect((error as HuaweiApiError).status).toBe(503);
    expect(server.requests).toHaveLength(4);
    expect(delays).toEqual([99, 199, 299]);
    expect(http.stats).toEqual({ requests: 4, retries: 3, throttled: 0 });
  });

  it('honours Retry-After in seconds', async () => {
    server.enqueue({
      status: 429,
      headers: { 'Retry-After': '3' },
      json: { error_code: 'APIGW.0308' },
    });
    server.handle(() => ({ json: {} }));
    const { http, delays } = makeCore();
    await http.request(get());
    // 3 s, plus half (random 0.5) of the jitter window of a fifth of it.
    expect(delays).toEqual([3_300]);
    expect(http.stats.throttled).toBe(1);
  });

  it('never retries sooner than Retry-After, and spreads retries over at most a fifth more', async () => {
    for (const [random, expected] of [
      [0, 2_000],
      [0.999, 2_399],
    ] as const) {
      server.enqueue({ status: 429, headers: { 'Retry-After': '2' } });
      server.enqueue({ json: {} });
      const { http, delays } = makeCore({ random: () => random });
      await http.request(get());
      expect(delays).toEqual([expected]);
    }
  });

  it('gives throttled answers their own budget, beyond maxAttempts', async () => {
    for (let i = 0; i < 6; i++) server.enqueue({ status: 429, headers: { 'Retry-After': '1' } });
    server.enqueue({ json: {} });
    const { http } = makeCore({ maxAttempts: 3 });
    await http.request(get());
    expect(server.requests).toHaveLength(7);
    expect(http.stats.throttled).toBe(6);
  });

  it('fails after maxThrottledAttempts throttled answers', async () => {
    server.handle(() => ({ status: 429, headers: { 'Retry-After': '1' } }));
    const { http } = makeCore({ maxThrottledAttempts: 4 });
    const error = await failure(http.request(get()));
    expect((error as HuaweiApiError).status).toBe(429);
    expect(server.requests).toHaveLength(4);
  });

  it('honours Retry-After as an HTTP date', async () => {
    server.enqueue({
      status: 503,
      headers: { 'Retry-After': new Date(T0 + 7_000).toUTCString() },
    });
    server.handle(() => ({ json: {} }));
    const { http, delays } = makeCore();
    await http.request(get());
    // 7 s, plus half of the jitter window (a fifth of it, capped at 1 s).
    expect(delays).toEqual([7_500]);
  });

  it('gives up at once when Retry-After exceeds maxRetryAfterMs', async () => {
    server.handle(() => ({ status: 429, headers: { 'Retry-After': '3600' } }));
    const { http, delays } = makeCore({ maxRetryAfterMs: 60_000 });
    const error = await failure(http.request(get()));
    expect((error as HuaweiApiError).retryAfterMs).toBe(3_600_000);
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries network errors', async () => {
    server.enqueue({ destroy: true });
    server.handle(() => ({ json: { ok: 1 } }));
    const { http } = makeCore();
    expect((await http.request(get())).data).toEqual({ ok: 1 });
    expect(http.stats.retries).toBe(1);
  });

  it('fails with a NetworkError when nothing listens', async () => {
    const { http } = makeCore({ maxAttempts: 2 });
    const url = await refusedUrl();
    const error = await failure(http.request({ method: 'GET', baseUrl: url, path: '/v1/x' }));
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(http.stats).toEqual({ requests: 2, retries: 1, throttled: 0 });
  });
});

describe('createHttpCore: deadline and timeouts', () => {
  it('never sleeps past the deadline and fails with the last error', async () => {
    server.handle(() => ({ status: 503, headers: { 'Retry-After': '0.6' } }));
    const { http, delays, now } = makeCore({ deadlineAt: T0 + 1_000 });
    const error = await failure(http.request(get()));
    expect((error as HuaweiApiError).status).toBe(503);
    expect(delays).toEqual([660]);
    expect(server.requests).toHaveLength(2);
    expect(now()).toBeLessThanOrEqual(T0 + 1_000);
  });

  it('never sleeps a backoff past the deadline', async () => {
    server.handle(() => ({ status: 500 }));
    const { http, delays, now } = makeCore({
      deadlineAt: T0 + 1_000,
      baseDelayMs: 400,
      maxDelayMs: 10_000,
      random: () => 0.999,
    });
    await failure(http.request(get()));
    expect(delays).toEqual([399]);
    expect(now()).toBeLessThanOrEqual(T0 + 1_000);
  });

  it('starts no attempt once the deadline has passed', async () => {
    const { http } = makeCore({ deadlineAt: T0 - 1 });
    const error = await failure(http.request(get()));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).deadline).toBe(true);
    expect(server.requests).toHaveLength(0);
  });

  it('aborts an attempt that hangs and retries it', async () => {
    server.handle(() => ({ hang: true }));
    const { http } = makeCore({ timeoutMs: 100, maxAttempts: 2 });
    const error = await failure(http.request(get()));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).deadline).toBe(false);
    expect(error.message).toMatch(/timed out after 100 ms/);
    expect(server.requests).toHaveLength(2);
    expect(http.stats).toEqual({ requests: 2, retries: 1, throttled: 0 });
  });

  it('cuts an attempt short at the deadline', async () => {
    server.handle(() => ({ hang: true }));
    const started = Date.now();
    const http = createHttpCore({
      credentials: CREDENTIALS,
      projectId: PROJECT,
      timeoutMs: 20_000,
      deadlineAt: started + 150,
    });
    const error = await failure(http.request(get()));
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).deadline).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(server.requests).toHaveLength(1);
  });
});

describe('createHttpCore: bodies', () => {
  it('rejects a 2xx body that is not JSON, without retrying', async () => {
    server.handle(() => ({ body: '<html>gateway</html>', headers: { 'X-Request-Id': 'r-9' } }));
    const { http } = makeCore();
    const error = await failure(http.request(get()));
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect(error.message).toMatch(/body is not JSON/);
    expect(error.message).toMatch(/r-9/);
    expect(server.requests).toHaveLength(1);
  });

  it('names the path of a schema violation', async () => {
    const items = [0, 1, 2, 3].map((i) => ({
      id: `g${i}`,
      name: `group ${i}`,
      scaling_policy: { enable: i === 3 ? 'yes' : true },
    }));
    server.handle(() => ({ json: { count: 4, items } }));
    const { http } = makeCore();
    const error = await failure(
      http.request(get('/v1/p/g', { schema: ListServerGroupsResponseSchema })),
    );
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect(error.message).toMatch(/items\[3\]\.scaling_policy\.enable: /);
    expect((error as ResponseSchemaError).issues[0]?.path).toEqual([
      'items',
      3,
      'scaling_policy',
      'enable',
    ]);
  });

  it('returns undefined data for an empty 2xx body unless the schema requires one', async () => {
    server.handle(() => ({ status: 200 }));
    const { http } = makeCore();
    expect((await http.request(get())).data).toBeUndefined();
    expect(
      (await http.request(get('/v1/x', { schema: z.object({ a: z.number() }).optional() }))).data,
    ).toBeUndefined();
    const error = await failure(
      http.request(get('/v1/x', { schema: z.object({ a: z.number() }) })),
    );
    expect(error).toBeInstanceOf(ResponseSchemaError);
    expect(error.message).toMatch(/body is empty/);
  });

  it('returns an accepted status instead of throwing', async () => {
    server.handle(() => ({ status: 404, headers: { 'X-Request-Id': 'r-404' }, json: {} }));
    const { http } = makeCore();
    expect(await http.request(get('/v1/x', { acceptStatuses: [404] }))).toEqual({
      status: 404,
      data: undefined,
      requestId: 'r-404',
    });
  });
});

describe('createHttpCore: error bodies', () => {
  it.each([
    [{ error_code: 'WKS.00010001', error_msg: 'bad group' }, 'WKS.00010001', 'bad group'],
    [{ code: 'ECS.0005', message: 'bad request' }, 'ECS.0005', 'bad request'],
    [{ error: { code: 'Ecs.0012', message: 'no member' } }, 'Ecs.0012', 'no member'],
    [{ error: { code: 400, message: 'numeric code' } }, '400', 'numeric code'],
    [{ something: 'else' }, undefined, undefined],
  ])('reads %j', async (body, code, message) => {
    server.handle(() => ({ status: 400, json: body }));
    const { http } = makeCore();
    const error = (await failure(
      http.request(get('/v1/x', { query: { limit: 1 } })),
    )) as HuaweiApiError;
    expect(error).toBeInstanceOf(HuaweiApiError);
    expect(error.code).toBe(code);
    expect(error.apiMessage).toBe(message);
    expect(error.method).toBe('GET');
    expect(error.path).toBe('/v1/x?limit=1');
  });

  it('puts the request id from the header, else from the body, in the error', async () => {
    server.enqueue({
      status: 403,
      headers: { 'X-Request-Id': 'hdr-1' },
      json: { error_code: 'A' },
    });
    server.enqueue({
      status: 401,
      json: { error_code: 'APIGW.0301', error_msg: 'bad signature', request_id: 'body-2' },
    });
    const { http } = makeCore();
    const first = (await failure(http.request(get()))) as HuaweiApiError;
    expect(first.requestId).toBe('hdr-1');
    expect(first.message).toContain('request id hdr-1');
    const second = (await failure(http.request(get()))) as HuaweiApiError;
    expect(second.requestId).toBe('body-2');
    expect(second.message).toBe(
      'GET /v1/p/things (request id body-2) failed with 401 APIGW.0301: bad signature',
    );
  });
});

describe('createHttpCore: secrets', () => {
  it('never puts the AK, SK, token or signature in a log line or an error', async () => {
    const log = createMemoryLog();
    const { http } = makeCore({ log, timeoutMs: 100, maxAttempts: 2 });
    const errors: unknown[] = [];
    // A gateway that echoes everything it was sent.
    server.handle((req) => ({
      status: req.path.endsWith('/echo5xx') ? 500 : 401,
      json: {
        error_code: `APIGW.0301 ${req.headers.authorization}`,
        error_msg: `verify aksk signature fail: ${req.headers.authorization} token=${req.headers['x-security-token']} sk=${CREDENTIALS.sk}`,
      },
    }));
    errors.push(await failure(http.request(get('/v1/echo4xx'))));
    errors.push(await failure(http.request(get('/v1/echo5xx'))));
    server.handle(() => ({ hang: true }));
    errors.push(await failure(http.request(get('/v1/hang'))));
    const refused = await refusedUrl();
    errors.push(await failure(http.request({ method: 'GET', baseUrl: refused, path: '/v1/x' })));

    expect(errors.map((e) => (e as Error).name)).toEqual([
      'HuaweiApiError',
      'HuaweiApiError',
      'TimeoutError',
      'NetworkError',
    ]);
    expect(log.lines.filter((l) => l.message === 'retrying request')).toHaveLength(3);
    const signatures = server.requests.map(
      (r) => String(r.headers.authorization).split('Signature=')[1] ?? 'missing',
    );
    const texts = [
      ...log.lines.map((line) => JSON.stringify(line)),
      ...errors.flatMap((e) => [
        (e as Error).message,
        String(e),
        JSON.stringify(e),
        inspect(e, { depth: 6 }),
      ]),
    ];
    const secrets = [
      CREDENTIALS.ak,
      CREDENTIALS.sk,
      CREDENTIALS.securityToken ?? '',
      ...signatures,
    ];
    for (const text of texts) {
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
    expect((errors[0] as HuaweiApiError).apiMessage).toContain('[redacted]');
  });
});

describe('createHttpCore: limiter', () => {
  it('runs every attempt of the core, retries included, through the limiter', async () => {
    let runs = 0;
    const inner = createRequestLimiter({ maxConcurrency: 1, rateLimitRps: 0 });
    const limiter: RequestLimiter = {
      run: (fn) => {
        runs += 1;
        return inner.run(fn);
      },
    };
    server.enqueue({ status: 502 });
    server.handle(() => ({ json: {} }));
    const { http } = makeCore({ limiter });
    await http.request(get());
    expect(runs).toBe(2);
  });
});
