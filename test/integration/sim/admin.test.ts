import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSignedFetch } from '../../../scripts/lib/signed-fetch.ts';
import { startSimulator } from '../../../sim/index.ts';
import { openSim, type SimHarness } from './harness.ts';

describe('simulator admin API', () => {
  let h: SimHarness;
  beforeAll(async () => {
    h = await openSim();
  });
  beforeEach(() => h.sim.reset());
  afterAll(() => h.close());

  it('shows groups, servers, sessions and jobs without a signature', async () => {
    const reply = await h.admin('GET', '/_sim/state');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('x-request-id')).toMatch(/^sim-[0-9a-f]{32}$/);
    const state = reply.json as {
      groups: unknown[];
      servers: unknown[];
      sessions: unknown[];
      now: string;
    };
    expect(state.groups).toHaveLength(8);
    expect(state.servers).toHaveLength(31);
    expect(state.sessions).toHaveLength(19);
    expect(state.now).toBe('2026-01-01T12:00:00.000Z');
    expect(h.sim.calls).toHaveLength(0);
  });

  it('logs every API call with its fields, readable from a sequence number on', async () => {
    await h.call({ path: `${h.v1}/app-servers`, query: { limit: 1 } });
    await h.call({ path: `${h.v1}/nowhere` });
    const all = (await h.admin('GET', '/_sim/calls')).json as { calls: Record<string, unknown>[] };
    expect(all.calls).toEqual([
      expect.objectContaining({
        seq: 1,
        method: 'GET',
        path: `${h.v1}/app-servers`,
        query: 'limit=1',
        route: 'listAppServers',
        status: 200,
        latencyMs: 0,
        signatureOk: true,
        fault: null,
        time: '2026-01-01T12:00:00.000Z',
      }),
      expect.objectContaining({ seq: 2, route: null, status: 404, signatureOk: null }),
    ]);
    const later = (await h.admin('GET', '/_sim/calls?since=1')).json as {
      calls: { seq: number }[];
    };
    expect(later.calls.map((c) => c.seq)).toEqual([2]);
  });

  it('moves the virtual clock, which the signature check follows', async () => {
    const before = h.sim.now();
    const moved = await h.admin('POST', '/_sim/clock', { advanceMinutes: 30 });
    expect(moved.json).toEqual({ now: '2026-01-01T12:30:00.000Z', frozen: true });
    const stale = await h.call({ path: `${h.v1}/app-servers`, date: before });
    expect(stale.status).toBe(401);
    expect((await h.call({ path: `${h.v1}/app-servers` })).status).toBe(200);
    const set = await h.admin('POST', '/_sim/clock', { now: '2026-02-01T00:00:00Z' });
    expect(set.json).toMatchObject({ now: '2026-02-01T00:00:00.000Z' });
    const response = await h.call({ path: `${h.v1}/app-servers` });
    expect(response.headers.get('date')).toBe('Sun, 01 Feb 2026 00:00:00 GMT');
    expect((await h.admin('POST', '/_sim/clock', {})).status).toBe(400);
    expect((await h.admin('POST', '/_sim/clock', { advanceMinutes: 'lots' })).status).toBe(400);
  });

  it('resets the fleet, the call log, the faults and the clock', async () => {
    await h.call({ method: 'DELETE', path: `${h.v1}/app-servers/srv-fl-idle-a` });
    h.sim.setFaults({ routes: { '*': { error500: 1 } } });
    h.sim.advanceClock(90);
    const reply = await h.admin('POST', '/_sim/reset');
    expect(reply.json).toEqual({ now: '2026-01-01T12:00:00.000Z' });
    expect(h.sim.calls).toHaveLength(0);
    expect(h.sim.state.getServer('srv-fl-idle-a')).toBeDefined();
    expect((await h.call({ path: `${h.v1}/app-servers/srv-fl-idle-a` })).status).toBe(200);
  });

  it('sets a session_count or adds a session, and refuses unknown servers', async () => {
    const set = await h.admin('POST', '/_sim/sessions', {
      machine_name: 'APS-FL-IDLEC',
      session_count: 2,
    });
    expect(set.json).toMatchObject({
      server: { id: 'srv-fl-idle-c', session_count: 2 },
      session: null,
    });
    const added = await h.admin('POST', '/_sim/sessions', {
      session: {
        machine_name: 'APS-ST-JOB',
        session_state: 'Disconnected',
        start_time: '2026-01-01T11:30:00Z',
      },
    });
    expect(added.json).toMatchObject({
      server: { id: 'srv-st-job-running', session_count: 0 },
      session: {
        machine_name: 'APS-ST-JOB',
        app_server_group_id: 'sg-steady',
        session_state: 'Disconnected',
      },
    });
    expect(h.sim.state.sessionsOf('APS-ST-JOB')).toHaveLength(1);
    expect(
      (await h.admin('POST', '/_sim/sessions', { server_id: 'nope', session_count: 1 })).status,
    ).toBe(404);
    expect((await h.admin('POST', '/_sim/sessions', { session_count: 1 })).status).toBe(400);
    expect(
      (await h.admin('POST', '/_sim/sessions', { server_id: 'srv-st-busy', session_count: -1 }))
        .status,
    ).toBe(400);
  });

  it('answers 404 for an unknown admin route and 400 for a body that is not JSON', async () => {
    expect((await h.admin('GET', '/_sim/nothing')).status).toBe(404);
    const bad = await fetch(`${h.sim.url}/_sim/clock`, { method: 'POST', body: '{' });
    expect(bad.status).toBe(400);
  });
});

describe('simulator lifecycle', () => {
  it('closes promptly with a hung request and a keep-alive connection open', async () => {
    const sim = await startSimulator({
      clock: { frozen: true },
      faults: { routes: { getJob: { hang: 1 } } },
    });
    const signed = createSignedFetch({
      baseUrl: sim.url,
      ak: sim.credentials.ak,
      sk: sim.credentials.sk,
      projectId: sim.projectId,
      now: () => sim.now(),
    });
    expect((await signed({ path: `/v1/${sim.projectId}/app-servers` })).status).toBe(200);
    const hung = signed({ path: `/v2/${sim.projectId}/job/j1` });
    while (sim.calls.length < 2 || sim.calls[1]?.fault !== 'hang')
      await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(hung).rejects.toThrow();
  });

  it('starts from the wall clock with the fleet rebased, keeping idle times', async () => {
    const sim = await startSimulator({ clock: { now: 'real', rebase: true } });
    try {
      const now = sim.now().getTime();
      expect(Math.abs(now - Date.now())).toBeLessThan(5000);
      const session = sim.state.sessionsOf('APS-SI-RECENT')[0];
      expect(now - Date.parse(session?.end_time ?? '')).toBeGreaterThanOrEqual(10 * 60_000);
      expect(now - Date.parse(session?.end_time ?? '')).toBeLessThan(11 * 60_000);
      const wallClock = createSignedFetch({
        baseUrl: sim.url,
        ak: sim.credentials.ak,
        sk: sim.credentials.sk,
        projectId: sim.projectId,
      });
      expect((await wallClock({ path: `/v1/${sim.projectId}/app-server-groups` })).status).toBe(
        200,
      );
    } finally {
      await sim.close();
    }
  });

  it('keeps the call log bounded, dropping the oldest entries', async () => {
    const sim = await startSimulator({ clock: { frozen: true }, callLogLimit: 10 });
    try {
      for (let i = 0; i < 12; i++) await fetch(`${sim.url}/v1/${sim.projectId}/app-servers`);
      expect(sim.calls.length).toBeLessThanOrEqual(10);
      expect(sim.calls.at(-1)?.seq).toBe(12);
      expect(sim.calls[0]?.seq).toBeGreaterThan(1);
    } finally {
      await sim.close();
    }
  });

  it('names the bad path when the fleet file is invalid', async () => {
    await expect(
      startSimulator({ fleet: { projectId: 'p', now: 'soon', groups: [], servers: [] } as never }),
    ).rejects.toThrow('fleet is not a valid fleet: now:');
  });

  it('refuses a fleet and a generate option together', async () => {
    await expect(
      startSimulator({ fleet: 'x.json', generate: { groups: 1, serversPerGroup: 1, seed: 1 } }),
    ).rejects.toThrow(/either fleet or generate/);
  });
});

describe('sim/cli.ts', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    if (child?.exitCode === null) child.kill('SIGKILL');
  });

  it('prints its URL, project and keys, serves, and exits on SIGTERM', async () => {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'sim/cli.ts',
        '--sim-only',
        '--port',
        '0',
        '--groups',
        '3',
        '--servers-per-group',
        '2',
        '--seed',
        '7',
        '--now',
        'real',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      child?.stdout?.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('admin:')) resolve();
      });
      child?.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)));
    });
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
    expect(url).toBeDefined();
    expect(out).toContain('HUAWEICLOUD_SDK_AK=SIMULATORACCESSKEY00');
    expect(out).toContain('HUAWEICLOUD_SDK_SK=simulator-secret-key-do-not-use-in-production');
    // A generated fleet has the `local` stage's project id, so the stage sweeps it as is.
    const stage = /HUAWEICLOUD_SDK_PROJECT_ID: (\w+)/.exec(
      readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8'),
    )?.[1];
    expect(out).toContain(`HUAWEICLOUD_SDK_PROJECT_ID=${stage}`);
    const state = (await (await fetch(`${url}/_sim/state`)).json()) as {
      groups: unknown[];
      servers: unknown[];
    };
    expect(state.groups).toHaveLength(3);
    expect(state.servers).toHaveLength(6);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });

  it('exits 2 naming the problem when the fleet file is missing', async () => {
    const bad = spawn(
      process.execPath,
      ['--import', 'tsx', 'sim/cli.ts', '--port', '0', '--fleet', 'nope.json'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let err = '';
    bad.stderr?.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const [code] = await once(bad, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('cannot read fleet file nope.json');
  });

  it('exits 2 with the usage on a bad argument', async () => {
    const bad = spawn(process.execPath, ['--import', 'tsx', 'sim/cli.ts', '--groups', '3'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    bad.stderr?.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const [code] = await once(bad, 'exit');
    expect(code).toBe(2);
    expect(err).toContain('--groups and --servers-per-group go together');
  });
});
