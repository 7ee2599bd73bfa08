import type { Credentials } from '../../lib/config.ts';
import { HuaweiApiError } from '../../lib/errors.ts';
import { type ApsClient, createApsClient } from '../../lib/huawei/aps-client.ts';
import { createEcsClient } from '../../lib/huawei/ecs-client.ts';
import { createHttpCore, type HttpCore, type HttpStats } from '../../lib/huawei/http.ts';
import type { RequestLimiter } from '../../lib/huawei/request-limiter.ts';
import type { Log } from '../../lib/logger.ts';
import type { EcsGroupResolver, RemovalServices } from '../../lib/removal/lifecycle.ts';
import { createEcsGroupResolver } from '../../lib/removal/lifecycle.ts';

// Plan mode can never change anything, by construction: its services are
// the read methods of the APS client and the ECS group listing (no remover,
// no drain, no queue), and the HTTP core under them refuses every method but
// GET before a byte is sent.

/** The only APS calls plan mode can express: listings and reads. */
export type ReadOnlyAps = Pick<
  ApsClient,
  'listServerGroups' | 'getServerGroup' | 'listServers' | 'listSessions' | 'getServer'
>;

export interface PlanServices {
  aps: ReadOnlyAps;
  /**
   * Instance → ECS groups from the ECS group listing (a GET): lets the dry
   * run report `not-in-ecs-group` as an acting run would. Absent without an
   * ECS endpoint.
   */
  ecsGroupsOf?: EcsGroupResolver;
  log: Log;
}

/** A mutating call reached plan mode's services: a bug, reported loudly. */
export class PlanModeRefusal extends Error {
  override name = 'PlanModeRefusal';
}

/** The core with every method but GET refused before it is signed or sent. */
export function getOnly(http: HttpCore): HttpCore {
  return {
    request(req) {
      if (req.method !== 'GET') {
        return Promise.reject(
          new PlanModeRefusal(`plan mode refused ${req.method} ${req.path}: it only reads`),
        );
      }
      return http.request(req);
    },
    get stats() {
      return http.stats;
    },
  };
}

/** The read methods of a client, bound; the client itself is not kept. */
export function readOnlyAps(client: ReadOnlyAps): ReadOnlyAps {
  return {
    listServerGroups: client.listServerGroups.bind(client),
    getServerGroup: client.getServerGroup.bind(client),
    listServers: client.listServers.bind(client),
    listSessions: client.listSessions.bind(client),
    getServer: client.getServer.bind(client),
  };
}

export interface PlanTarget {
  credentials: Credentials;
  projectId: string;
  apsEndpoint: string;
  /** Where the ECS group listing is read; no listing without it. */
  ecsEndpoint?: string | undefined;
}

/** Plan mode's services for one project, over a GET-only HTTP core. */
export function createPlanServices(
  target: PlanTarget,
  options: {
    limiter: RequestLimiter;
    timeoutMs: number;
    log: Log;
    fetch?: typeof globalThis.fetch | undefined;
  },
): { services: PlanServices; stats: () => Readonly<HttpStats> } {
  const http = getOnly(
    createHttpCore({
      credentials: target.credentials,
      projectId: target.projectId,
      limiter: options.limiter,
      timeoutMs: options.timeoutMs,
      log: options.log,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
  );
  const aps = createApsClient({ http, endpoint: target.apsEndpoint, projectId: target.projectId });
  const services: PlanServices = { aps: readOnlyAps(aps), log: options.log };
  if (target.ecsEndpoint !== undefined) {
    const ecs = createEcsClient({
      http,
      endpoint: target.ecsEndpoint,
      projectId: target.projectId,
    });
    // Only the listing is kept: the resolver never sees the client's mutating method.
    services.ecsGroupsOf = createEcsGroupResolver({
      listServerGroups: ecs.listServerGroups.bind(ecs),
      serverGroupsOf: ecs.serverGroupsOf.bind(ecs),
    });
  }
  return { services, stats: () => http.stats };
}

/** Whether an API error says the key or the project is wrong: nothing else can work then. */
export function isAccessDenied(error: unknown): error is HuaweiApiError {
  return error instanceof HuaweiApiError && (error.status === 401 || error.status === 403);
}

/**
 * Watches the reads: counts the groups listed and keeps the first
 * access-denied error (401/403), which the sweep itself would only report
 * as a listing failure, without its request id.
 */
export function observeReads(
  aps: ReadOnlyAps,
  seen: { listed: number; denied?: HuaweiApiError | undefined },
): ReadOnlyAps {
  const watch =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        if (isAccessDenied(error)) seen.denied ??= error;
        throw error;
      }
    };
  return {
    async *listServerGroups(filters) {
      try {
        for await (const group of aps.listServerGroups(filters)) {
          seen.listed++;
          yield group;
        }
      } catch (error) {
        if (isAccessDenied(error)) seen.denied ??= error;
        throw error;
      }
    },
    getServerGroup: watch(aps.getServerGroup),
    listServers: watch(aps.listServers),
    listSessions: watch(aps.listSessions),
    getServer: watch(aps.getServer),
  };
}

/**
 * What the sweep's type asks for, from read-only services: every slot that
 * mutates or only serves acting (`batchDeleteServers`, `getJob`, the ECS
 * calls) refuses and tells `onRefused`,
 * never reaching the network. A forced dry run never calls them; this is the
 * second wall.
 */
export function asRemovalServices(
  plan: PlanServices,
  onRefused: (what: string) => void,
): RemovalServices {
  const refuse = (what: string) => (): Promise<never> => {
    onRefused(what);
    return Promise.reject(new PlanModeRefusal(`plan mode refused ${what}: it only reads`));
  };
  return {
    aps: {
      ...plan.aps,
      batchDeleteServers: refuse('batchDeleteServers'),
      getJob: refuse('getJob'),
      batchSetMaintenance: refuse('batchSetMaintenance'),
      logoffSessions: refuse('logoffSessions'),
    },
    ecs: {
      removeMember: refuse('removeMember'),
      showServerGroup: refuse('showServerGroup'),
      serverGroupsOf: refuse('serverGroupsOf'),
      // biome-ignore lint/correctness/useYield: refuses before any page
      listServerGroups: async function* () {
        await refuse('listServerGroups')();
      },
    },
    ...(plan.ecsGroupsOf === undefined ? {} : { ecsGroupsOf: plan.ecsGroupsOf }),
    log: plan.log,
  };
}

/**
 * Lists the sessions of the look-back window before `fetchedAt` (epoch ms)
 * whatever window the caller asks for: `--at` evaluates the data of now at
 * another instant, so the fetch itself stays at now.
 */
export function sessionsAsOf(
  aps: ReadOnlyAps,
  fetchedAt: number,
  lookbackHours: number,
): ReadOnlyAps {
  return {
    ...aps,
    listSessions: (query) =>
      aps.listSessions({
        ...query,
        begin: new Date(fetchedAt - lookbackHours * 3_600_000),
        end: new Date(fetchedAt),
      }),
  };
}
