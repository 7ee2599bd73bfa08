import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedFetch, signRequest } from '../../../scripts/lib/signed-fetch.ts';
import { startSimulator } from '../../../sim/index.ts';
import { openSim, type Reply, type SimHarness, send, toReply } from './harness.ts';

const MINUTE = 60_000;

function expectRejected(reply: Reply, status = 401, code = 'APIGW.0301'): void {
  expect(reply.status).toBe(status);
  expect(reply.json).toMatchObject({ error_code: code });
  expect(reply.headers.get('x-request-id')).toMatch(/^[0-9a-f]{32}$/);
}

describe('simulator signature check', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  afterAll(() => h.close());

  const groups = () => ({ path: `${h.v1}/app-server-groups`, query: { limit: 2 } });

  it('accepts a request signed by the official signer and logs signatureOk', async () => {
    const reply = await h.call(groups());
    expect(reply.status).toBe(200);
    expect(h.sim.calls.at(-1)).toMatchObject({ signatureOk: true, status: 200 });
  });

  it('rejects a request without Authorization with the gateway error body', async () => {
    const reply = await toReply(await fetch(`${h.sim.url}${h.v1}/app-server-groups`));
    expectRejected(reply);
    expect((reply.json as { request_id: string }).request_id).toBe(
      reply.headers.get('x-request-id'),
    );
    expect(h.sim.calls.at(-1)).toMatchObject({ signatureOk: false, status: 401 });
  });

  it('rejects an IAM token: only AK/SK is simulated', async () => {
    const reply = await toReply(
      await fetch(`${h.sim.url}${h.v1}/app-server-groups`, { headers: { 'X-Auth-Token': 'x' } }),
    );
    expectRejected(reply);
    expect((reply.json as { error_msg: string }).error_msg).toContain('token');
  });

  it('rejects an unknown access key and a wrong secret key', async () => {
    const signer = { baseUrl: h.sim.url, projectId: h.sim.projectId, now: () => h.sim.now() };
    const wrongAk = createSignedFetch({
      ...signer,
      ak: 'OTHERACCESSKEY000000',
      sk: h.sim.credentials.sk,
    });
    const wrongSk = createSignedFetch({
      ...signer,
      ak: h.sim.credentials.ak,
      sk: 'not-the-secret',
    });
    const a = await toReply(await wrongAk(groups()));
    expectRejected(a);
    expect((a.json as { error_msg: string }).error_msg).toContain('access key');
    const b = await toReply(await wrongSk(groups()));
    expectRejected(b);
    expect((b.json as { error_msg: string }).error_msg).toContain('signature mismatch');
  });

  it('rejects a tampered body', async () => {
    const prepared = h.prepare({
      method: 'PATCH',
      path: `${h.v1}/app-servers/srv-si-idle-1`,
      json: { description: 'signed' },
    });
    expectRejected(await send({ ...prepared, body: JSON.stringify({ description: 'sent' }) }));
    expect(h.sim.state.getServer('srv-si-idle-1')?.description).toBe('');
    // The untampered request goes through, so the rejection was the tampering.
    expect((await send(prepared)).status).toBe(200);
    expect(h.sim.state.getServer('srv-si-idle-1')?.description).toBe('signed');
  });

  it('rejects a tampered query and a tampered path', async () => {
    const prepared = h.prepare(groups());
    expectRejected(await send({ ...prepared, url: prepared.url.replace('limit=2', 'limit=3') }));
    expectRejected(await send({ ...prepared, url: `${prepared.url}&offset=1` }));
    const server = h.prepare({ path: `${h.v1}/app-servers/srv-si-idle-1` });
    expectRejected(await send({ ...server, url: server.url.replace('idle-1', 'idle-2') }));
    expect((await send(prepared)).status).toBe(200);
  });

  it('rejects a signed header that was changed or dropped', async () => {
    const prepared = h.prepare(groups());
    expectRejected(
      await send({
        ...prepared,
        headers: { ...prepared.headers, 'X-Project-Id': `${h.sim.projectId}0` },
      }),
    );
    // An extra header that is not signed is allowed, as at the gateway.
    expect(
      (await send({ ...prepared, headers: { ...prepared.headers, 'X-Trace': 'free' } })).status,
    ).toBe(200);
    const { 'X-Project-Id': _dropped, ...rest } = prepared.headers;
    const reply = await send({ ...prepared, headers: rest });
    expectRejected(reply);
    expect((reply.json as { error_msg: string }).error_msg).toContain('x-project-id');
  });

  it('rejects SignedHeaders that leave out host', async () => {
    const prepared = h.prepare(groups());
    const authorization = prepared.headers['Authorization'] ?? '';
    expect(authorization).toContain('SignedHeaders=host;');
    const reply = await send({
      ...prepared,
      headers: {
        ...prepared.headers,
        Authorization: authorization.replace('SignedHeaders=host;', 'SignedHeaders='),
      },
    });
    expectRejected(reply);
    expect((reply.json as { error_msg: string }).error_msg).toContain('host');
  });

  it('rejects an X-Sdk-Date more than 15 minutes from the virtual clock, either way', async () => {
    const now = h.sim.now().getTime();
    for (const offset of [-16 * MINUTE, 16 * MINUTE]) {
      const reply = await h.call({ ...groups(), date: new Date(now + offset) });
      expectRejected(reply);
      expect((reply.json as { error_msg: string }).error_msg).toContain('15 minutes');
    }
    for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
      expect((await h.call({ ...groups(), date: new Date(now + offset) })).status).toBe(200);
    }
  });

  it('checks the skew against the virtual clock, not the wall clock', async () => {
    const wallClock = createSignedFetch({
      baseUrl: h.sim.url,
      ak: h.sim.credentials.ak,
      sk: h.sim.credentials.sk,
      projectId: h.sim.projectId,
    });
    expectRejected(await toReply(await wallClock(groups())));
  });

  it('answers 403 for a foreign project in the path or in X-Project-Id', async () => {
    const foreign = createSignedFetch({
      baseUrl: h.sim.url,
      ak: h.sim.credentials.ak,
      sk: h.sim.credentials.sk,
      projectId: 'another-project',
      now: () => h.sim.now(),
    });
    const inPath = await toReply(await foreign({ path: '/v1/another-project/app-server-groups' }));
    expectRejected(inPath, 403, 'APIGW.0302');
    expect(h.sim.calls.at(-1)?.signatureOk).toBe(true);
    const inHeader = await toReply(await foreign({ path: `${h.v1}/app-server-groups` }));
    expectRejected(inHeader, 403, 'APIGW.0302');
  });
});

describe('simulator security token', () => {
  it('requires the configured X-Security-Token, signed', async () => {
    const credentials = {
      ak: 'TEMPORARYACCESSKEY00',
      sk: 'temporary-secret',
      securityToken: 'token-123',
    };
    const sim = await startSimulator({ credentials, clock: { frozen: true } });
    try {
      const base = {
        baseUrl: sim.url,
        ak: credentials.ak,
        sk: credentials.sk,
        projectId: sim.projectId,
        now: () => sim.now(),
      };
      const path = `/v1/${sim.projectId}/app-server-groups`;
      const ok = await createSignedFetch({ ...base, securityToken: 'token-123' })({ path });
      expect(ok.status).toBe(200);
      expect((await createSignedFetch(base)({ path })).status).toBe(401);
      expect(
        (await createSignedFetch({ ...base, securityToken: 'token-999' })({ path })).status,
      ).toBe(401);
      const unsigned = signRequest(base, { path });
      const reply = await send({
        ...unsigned,
        headers: { ...unsigned.headers, 'X-Security-Token': 'token-123' },
      });
      expect(reply.status).toBe(401);
    } finally {
      await sim.close();
    }
  });
});
