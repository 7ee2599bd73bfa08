import { describe, expect, it, vi } from 'vitest';
import { HuaweiApiError } from '../../../lib/errors.ts';
import type { HttpCore } from '../../../lib/huawei/http.ts';
import { silentLog } from '../../../lib/logger.ts';
import {
  asRemovalServices,
  getOnly,
  observeReads,
  PlanModeRefusal,
  type ReadOnlyAps,
  readOnlyAps,
} from '../../../scripts/lib/plan-services.ts';

function fakeCore(): HttpCore & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    request: async (req) => {
      sent.push(`${req.method} ${req.path}`);
      return { status: 200, data: undefined, requestId: 'r' };
    },
    stats: { requests: 0, retries: 0, throttled: 0 },
  };
}

function fakeAps(overrides: Partial<ReadOnlyAps> = {}): ReadOnlyAps & { deleteServer: () => void } {
  return {
    async *listServerGroups() {},
    getServerGroup: async () => undefined,
    listServers: async () => [],
    listSessions: async () => [],
    getServer: async () => undefined,
    deleteServer: () => {
      throw new Error('must not be reachable');
    },
    ...overrides,
  };
}

describe('plan mode services', () => {
  it('the HTTP core sends GET and refuses every other method before sending', async () => {
    const core = fakeCore();
    const http = getOnly(core);
    await http.request({ method: 'GET', baseUrl: 'https://x', path: '/v1/p/app-servers' });
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await expect(http.request({ method, baseUrl: 'https://x', path: '/v1/p/x' })).rejects.toThrow(
        PlanModeRefusal,
      );
    }
    expect(core.sent).toEqual(['GET /v1/p/app-servers']);
  });

  it('keeps only the read methods of a client', () => {
    const aps = readOnlyAps(fakeAps());
    expect(Object.keys(aps).sort()).toEqual([
      'getServer',
      'getServerGroup',
      'listServerGroups',
      'listServers',
      'listSessions',
    ]);
  });

  it('fills the sweep’s mutating slots with refusals that never reach a client', async () => {
    const onRefused = vi.fn();
    const services = asRemovalServices({ aps: readOnlyAps(fakeAps()), log: silentLog }, onRefused);
    await expect(services.aps.batchDeleteServers(['srv-1'])).rejects.toThrow(PlanModeRefusal);
    await expect(services.ecs.removeMember('g', 'i')).rejects.toThrow(PlanModeRefusal);
    expect(onRefused.mock.calls).toEqual([['batchDeleteServers'], ['removeMember']]);
  });

  it('keeps the first access-denied error of any read, and counts the groups listed', async () => {
    const denied = new HuaweiApiError({
      method: 'GET',
      path: '/v1/p/app-servers',
      status: 401,
      code: 'APIGW.0301',
      requestId: 'req-1',
    });
    const seen: { listed: number; denied?: HuaweiApiError } = { listed: 0 };
    const aps = observeReads(
      fakeAps({
        async *listServerGroups() {
          yield { id: 'g1', name: 'one' } as never;
          throw denied;
        },
        listServers: async () => {
          throw new HuaweiApiError({ method: 'GET', path: '/x', status: 500 });
        },
      }),
      seen,
    );
    await expect(aps.listServers({ serverGroupId: 'g1' })).rejects.toThrow('500');
    expect(seen.denied).toBeUndefined();
    const listed: string[] = [];
    await expect(
      (async () => {
        for await (const g of aps.listServerGroups()) listed.push(g.id);
      })(),
    ).rejects.toBe(denied);
    expect(listed).toEqual(['g1']);
    expect(seen).toEqual({ listed: 1, denied });
  });
});
