import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { NetworkError } from '../../../lib/errors.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { createTransport, type Transport } from '../../../lib/huawei/transport.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import { type ForwardProxy, startForwardProxy } from '../../helpers/forward-proxy.ts';
import { refusedUrl } from '../../helpers/http-server.ts';
import { depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY'];

/** Sets the proxy variables as a Lambda's environment would; every other case is cleared. */
function proxyEnvironment(values: Record<string, string>): void {
  for (const name of PROXY_VARIABLES) {
    vi.stubEnv(name, values[name] ?? '');
    vi.stubEnv(name.toLowerCase(), '');
  }
}

describe('a sweep behind a forward proxy (HTTP_PROXY, NO_PROXY)', () => {
  let sim: Simulator;
  let proxy: ForwardProxy;
  let transport: Transport | undefined;
  beforeEach(async () => {
    sim = await startFrozenSimulator();
    proxy = await startForwardProxy();
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await transport?.close();
    transport = undefined;
    await proxy.close();
    await sim.close();
  });

  const sweepWith = async () => {
    // Made as lib/huawei/http.ts makes the default: from the process environment.
    transport = createTransport();
    const handler = createSweepHandler({ ...depsFor(sim), transport });
    return handler(
      loadEvent('schedule.json'),
      fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
    );
  };

  it('sends every request through the proxy the variables name', async () => {
    proxyEnvironment({ HTTP_PROXY: proxy.url });
    const report = await sweepWith();
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(2);
    const host = new URL(sim.url).host;
    expect(proxy.log.length).toBe(sim.calls.length);
    expect(
      proxy.log.every((r) => r.kind === 'absolute-form' && new URL(r.target).host === host),
    ).toBe(true);
    expect(proxy.log.filter((r) => r.method === 'POST').length).toBe(2);
  });

  it('goes around the proxy for a host NO_PROXY names', async () => {
    proxyEnvironment({ HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,127.0.0.1' });
    const report = await sweepWith();
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(2);
    expect(proxy.log).toEqual([]);
    expect(sim.calls.length).toBeGreaterThan(10);
  });
});

describe('errors through a proxy say why', () => {
  const core = (t: Transport) =>
    createHttpCore({
      credentials: { ak: 'AKIDPROXY00000000001', sk: 'SKproxySecretKey0123456789abcdefghijklm' },
      projectId: 'p',
      timeoutMs: 2_000,
      maxAttempts: 1,
      transport: t,
    });

  it('names the proxy and its answer when it refuses the tunnel', async () => {
    const refusing = await startForwardProxy({ refuseConnect: 403 });
    const t = createTransport({
      env: { HTTPS_PROXY: refusing.url.replace('//', '//user:secret@') },
    });
    try {
      const error = await core(t)
        .request({ method: 'GET', baseUrl: 'https://ecs.example.test', path: '/v1/p/x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      const message = (error as Error).message;
      expect(message).toContain('to ecs.example.test');
      expect(message).toContain('Failed to establish tunnel to ecs.example.test:443');
      expect(message).toContain('HTTP/1.1 403');
      expect(message).toContain(`proxy ${new URL(refusing.url).host}`);
      expect(message).not.toContain('secret');
      expect(refusing.log).toEqual([
        { kind: 'CONNECT', target: 'ecs.example.test:443', method: 'CONNECT' },
      ]);
    } finally {
      await t.close();
      await refusing.close();
    }
  });

  it('names the proxy when it cannot be reached', async () => {
    const gone = await refusedUrl();
    const t = createTransport({ env: { https_proxy: gone } });
    try {
      const error = await core(t)
        .request({ method: 'GET', baseUrl: 'https://ecs.example.test', path: '/v1/p/x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toMatch(
        new RegExp(`ECONNREFUSED from ${new URL(gone).host}; proxy ${new URL(gone).host}\\)`),
      );
    } finally {
      await t.close();
    }
  });
});
