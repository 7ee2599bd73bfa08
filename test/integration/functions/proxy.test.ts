import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { NetworkError } from '../../../lib/errors.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import { createTransport, type Transport } from '../../../lib/huawei/transport.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import {
  type ForwardProxy,
  startForwardProxy,
  useProxyEnvironment,
} from '../../helpers/forward-proxy.ts';
import { refusedUrl } from '../../helpers/http-server.ts';
import { depsFor, startFrozenSimulator } from '../../helpers/stack.ts';

describe('a sweep behind a forward proxy (HTTP_PROXY, NO_PROXY)', () => {
  let sim: Simulator;
  let proxy: ForwardProxy;
  let restore: (() => void) | undefined;
  beforeEach(async () => {
    sim = await startFrozenSimulator();
    proxy = await startForwardProxy();
  });
  afterEach(async () => {
    restore?.();
    restore = undefined;
    await proxy.close();
    await sim.close();
  });

  /** Node's fetch set up from `env` as NODE_USE_ENV_PROXY=1 sets it up at start; the transport as lib/huawei/http.ts makes its default. */
  const sweepWith = async (variables: Record<string, string>) => {
    const proxied = useProxyEnvironment(variables);
    restore = proxied.restore;
    const transport: Transport = createTransport({ env: proxied.env });
    const handler = createSweepHandler({ ...depsFor(sim), transport });
    return handler(
      loadEvent('schedule.json'),
      fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
    );
  };

  it('sends every request through the proxy the variables name (a CONNECT tunnel, as Node does)', async () => {
    const report = await sweepWith({ HTTP_PROXY: proxy.url });
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(2);
    const host = new URL(sim.url).host;
    expect(proxy.log.length).toBeGreaterThan(0);
    expect(proxy.log.every((r) => r.kind === 'CONNECT' && r.target === host)).toBe(true);
    expect(sim.calls.length).toBeGreaterThan(10);
    expect(proxy.tunnelledRequests()).toBe(sim.calls.length);
  });

  it('goes around the proxy for a host NO_PROXY names', async () => {
    const report = await sweepWith({ HTTP_PROXY: proxy.url, NO_PROXY: 'example.com,127.0.0.1' });
    expect(report.status).toBe('completed');
    expect(report.totals.outcomes.removed).toBe(2);
    expect(proxy.log).toEqual([]);
    expect(sim.calls.length).toBeGreaterThan(10);
  });
});

describe('NODE_USE_ENV_PROXY=1 in a fresh node (as serverless.yml starts the functions)', () => {
  /** Runs the default transport (lib/huawei/http.ts's) in a child node with `env`; resolves with its stdout. */
  const sendFromChild = (origin: string, env: Record<string, string>) => {
    const script = `import { createTransport } from './lib/huawei/transport.ts';
      const t = createTransport();
      const r = await t.send({ method: 'GET', origin: ${JSON.stringify(origin)}, path: '/v1/x', headers: {}, body: '', timeoutMs: 5000, call: { method: 'GET', path: '/v1/x' } }).catch((e) => ({ status: e.message }));
      console.log(JSON.stringify(r.status));`;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: join(import.meta.dirname, '../../..'),
        env: { PATH: process.env['PATH'] ?? '', ...env },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    return new Promise<string>((resolve) => child.once('close', () => resolve(out.trim())));
  };

  it('sends through HTTP_PROXY, and names an unreachable proxy; without the variable the proxy is ignored and the error says so', async () => {
    const proxy = await startForwardProxy();
    const sim = await startFrozenSimulator();
    const gone = await refusedUrl();
    try {
      const host = new URL(sim.url).host;
      const through = await sendFromChild(sim.url, {
        NODE_USE_ENV_PROXY: '1',
        HTTP_PROXY: proxy.url,
      });
      expect(Number(JSON.parse(through))).toBeGreaterThanOrEqual(200);
      expect(proxy.log).toEqual([{ kind: 'CONNECT', target: host, method: 'CONNECT' }]);
      expect(proxy.tunnelledRequests()).toBe(1);
      const refused = await sendFromChild(sim.url, { NODE_USE_ENV_PROXY: '1', HTTP_PROXY: gone });
      expect(refused).toContain(
        `ECONNREFUSED from ${new URL(gone).host}; proxy ${new URL(gone).host}`,
      );
      const ignored = await sendFromChild(`http://${new URL(gone).host}`, {
        HTTP_PROXY: proxy.url,
      });
      expect(ignored).toContain(
        `proxy ${new URL(proxy.url).host} ignored: NODE_USE_ENV_PROXY is not 1`,
      );
      expect(proxy.log).toHaveLength(1);
    } finally {
      await proxy.close();
      await sim.close();
    }
  }, 30_000);
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
    const proxied = useProxyEnvironment({
      HTTPS_PROXY: refusing.url.replace('//', '//user:secret@'),
    });
    const t = createTransport({ env: proxied.env });
    try {
      const error = await core(t)
        .request({ method: 'GET', baseUrl: 'https://ecs.example.test', path: '/v1/p/x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      const message = (error as Error).message;
      expect(message).toContain('to ecs.example.test');
      expect(message).toContain('Proxy response (403)');
      expect(message).toContain(`proxy ${new URL(refusing.url).host}`);
      expect(message).not.toContain('secret');
      expect(refusing.log).toEqual([
        { kind: 'CONNECT', target: 'ecs.example.test:443', method: 'CONNECT' },
      ]);
    } finally {
      proxied.restore();
      await t.close();
      await refusing.close();
    }
  });

  it('names the proxy when it cannot be reached', async () => {
    const gone = await refusedUrl();
    const proxied = useProxyEnvironment({ https_proxy: gone });
    const t = createTransport({ env: proxied.env });
    try {
      const error = await core(t)
        .request({ method: 'GET', baseUrl: 'https://ecs.example.test', path: '/v1/p/x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as Error).message).toMatch(
        new RegExp(`ECONNREFUSED from ${new URL(gone).host}; proxy ${new URL(gone).host}\\)`),
      );
    } finally {
      proxied.restore();
      await t.close();
    }
  });
});
