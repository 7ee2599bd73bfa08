import { HuaweiApiError } from '../../lib/errors.ts';
import type { LogoffRequest } from '../../lib/huawei/aps-client.ts';
import type { AppServer, ServerGroup, SessionInfo } from '../../lib/huawei/schemas.ts';
import { createMemoryLog } from '../../lib/logger.ts';
import type { RemovalServices, RemovalSettings } from '../../lib/removal/types.ts';
import { FACTORY_EPOCH, serverFactory, serverGroupFactory } from './factories.ts';

/** A day after the factories' epoch: every factory server is long idle by then. */
export const FAKE_NOW = FACTORY_EPOCH + 86_400_000;

/** An API error as the HTTP core throws it, for a fake to fail with. */
export function apiError(status: number, code = 'APS.0001'): HuaweiApiError {
  return new HuaweiApiError({ method: 'GET', path: '/fake', status, code, requestId: 'req-fake' });
}

/**
 * In-memory APS and ECS clients over a small fleet, for unit tests of the
 * pipeline, the sweep and remediation: removals change the fleet, every call
 * is recorded, and `fail` makes a method throw.
 */
export function createFakeServices(fleet: {
  groups: ServerGroup[];
  servers: AppServer[];
  sessions?: SessionInfo[];
}) {
  const servers = new Map(fleet.servers.map((s) => [s.id, { ...s }]));
  const calls: string[] = [];
  /** Every batch-maint call, in order. */
  const maintenance: { ids: string[]; on: boolean }[] = [];
  /** Every log-off call's request, in order. */
  const logoffs: LogoffRequest[] = [];
  const fail: Partial<Record<string, Error>> = {};
  const log = createMemoryLog();
  const check = (name: string) => {
    calls.push(name);
    const error = fail[name];
    if (error !== undefined) throw error;
  };
  // Each APS group's members sit in one ECS group with its own id, as in the cloud.
  const ecsGroups = () =>
    fleet.groups.map((g) => ({
      id: ecsGroupIdOf(g.id),
      members: [...servers.values()]
        .filter((s) => s.server_group_id === g.id && s.instance_id !== undefined)
        .map((s) => s.instance_id as string),
    }));
  const services: RemovalServices = {
    aps: {
      async *listServerGroups() {
        check('listServerGroups');
        yield* fleet.groups;
      },
      async getServerGroup(id) {
        check('getServerGroup');
        return fleet.groups.find((g) => g.id === id);
      },
      async listServers({ serverGroupId }) {
        check('listServers');
        return [...servers.values()].filter((s) => s.server_group_id === serverGroupId);
      },
      async listSessions({ serverGroupId }) {
        check('listSessions');
        return (fleet.sessions ?? []).filter((s) => s.app_server_group_id === serverGroupId);
      },
      async getServer(id) {
        check('getServer');
        return servers.get(id);
      },
      async batchDeleteServers(ids) {
        check('batchDeleteServers');
        for (const id of ids) servers.delete(id);
        return { jobId: 'job-1', requestId: 'req-delete' };
      },
      async getJob(id) {
        check('getJob');
        return { id, status: 'SUCCESS' };
      },
      async batchSetMaintenance(ids, on) {
        check('batchSetMaintenance');
        maintenance.push({ ids: [...ids], on });
        for (const id of ids) {
          const server = servers.get(id);
          if (server !== undefined) server.maintain_status = on;
        }
        return { requestId: 'req-maint' };
      },
      async logoffSessions(request) {
        check('logoffSessions');
        logoffs.push(request);
        return { requestId: 'req-logoff' };
      },
    },
    ecs: {
      async removeMember(groupId, instanceUuid) {
        check('removeMember');
        const server = [...servers.values()].find((s) => s.instance_id === instanceUuid);
        if (server === undefined || ecsGroupIdOf(server.server_group_id ?? '') !== groupId) {
          return { outcome: 'already-removed', requestId: 'req-remove' };
        }
        servers.delete(server.id);
        return { outcome: 'removed', requestId: 'req-remove' };
      },
      async showServerGroup(id) {
        check('showServerGroup');
        return ecsGroups().find((g) => g.id === id) ?? { id, members: [] };
      },
      async *listServerGroups() {
        check('listEcsServerGroups');
        yield* ecsGroups();
      },
      async serverGroupsOf(instanceUuid) {
        check('showEcsServer');
        return ecsGroups()
          .filter((g) => g.members.includes(instanceUuid))
          .map((g) => g.id);
      },
    },
    log,
  };
  return { services, log, calls, fail, servers, maintenance, logoffs };
}

/** The ECS server group id the fake gives an APS group's members: never the APS id itself. */
export function ecsGroupIdOf(apsGroupId: string): string {
  return `ecs-of-${apsGroupId}`;
}

/** Pipeline settings on a fixed clock: floor 1, at most 10 removals per group. */
export function fakeSettings(overrides: Partial<RemovalSettings> = {}): RemovalSettings {
  return {
    projectId: 'p-1',
    dryRun: false,
    removalMode: 'remove-member',
    limits: { minServersPerGroup: 1, maxRemovalsPerGroup: 10, protectTagKey: 'protect' },
    sessionLookbackHours: 24,
    now: () => FAKE_NOW,
    sleep: async () => {},
    ...overrides,
  };
}

/** One group of `count` idle members (the factories' defaults) over fake services. */
export function fleetOfIdle(count: number) {
  const group = serverGroupFactory();
  const servers = Array.from({ length: count }, () => serverFactory());
  return { group, servers, fake: createFakeServices({ groups: [group], servers }) };
}
