import type { ProductInfo, TmsTag } from '../lib/huawei/schemas.ts';
import type { Fleet, FleetGroup, FleetServer, FleetSession } from './fleet.ts';
import { DEFAULT_PRODUCT } from './fleet-defaults.ts';
import { deterministicHex, indexedUuid, mulberry32 } from './prng.ts';

export interface GenerateFleetOptions {
  groups: number;
  serversPerGroup: number;
  seed: number;
  /** The fleet's virtual now; default 2026-01-01T12:00:00.000Z so a seed always gives the same fleet. */
  now?: string | undefined;
  /** Default: 32 hex characters derived from the seed. */
  projectId?: string | undefined;
  /** The protect tag key; default `aps-autoscaler:protect`. */
  protectTagKey?: string | undefined;
}

export type GroupKind =
  | 'normal'
  | 'over-threshold'
  | 'policy-off'
  | 'group-disabled'
  | 'protected'
  | 'invalid-policy'
  | 'secondary';

export type ServerKind =
  | 'idle'
  | 'busy'
  | 'disconnected'
  | 'appc-init'
  | 'recently-used'
  | 'maintenance'
  | 'protected'
  | 'freeze'
  | 'job-running'
  | 'not-registered';

const GROUP_WEIGHTS: readonly [GroupKind, number][] = [
  ['normal', 0.62],
  ['over-threshold', 0.1],
  ['policy-off', 0.08],
  ['group-disabled', 0.05],
  ['protected', 0.05],
  ['invalid-policy', 0.04],
  ['secondary', 0.06],
];

const SERVER_WEIGHTS: readonly [ServerKind, number][] = [
  ['idle', 0.3],
  ['busy', 0.25],
  ['disconnected', 0.06],
  ['appc-init', 0.02],
  ['recently-used', 0.15],
  ['maintenance', 0.05],
  ['protected', 0.04],
  ['freeze', 0.04],
  ['job-running', 0.05],
  ['not-registered', 0.04],
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function pick<T>(rand: () => number, weighted: readonly [T, number][]): T {
  let r = rand();
  for (const [value, weight] of weighted) {
    if (r < weight) return value;
    r -= weight;
  }
  return (weighted.at(-1) as [T, number])[0];
}

function between(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

function oneOf<T>(rand: () => number, values: readonly T[]): T {
  return values[Math.floor(rand() * values.length)] as T;
}

function product(rand: () => number, sessions: number): ProductInfo {
  const cpu = oneOf(rand, ['2', '4', '8']);
  const memory = String(Number(cpu) * 4096);
  return {
    ...DEFAULT_PRODUCT,
    product_id: `workspace.appstream.general.${cpu}xlarge.${sessions}`,
    flavor_id: `s6.${cpu}xlarge.2`,
    cpu,
    memory,
    descriptions: `s6.${cpu}xlarge.2 general|${cpu} vCPUs|${Number(memory) / 1024} GB`,
    sessions,
  };
}

/**
 * A realistic seeded fleet: groups of every kind the evaluation rules
 * distinguish (policy on/off, disabled, protected, invalid policy, over the
 * usage threshold, secondary) and servers idle, busy, disconnected, recently
 * used, in maintenance, protected, frozen (effect 2), with a running job or
 * not registered. The same options always give the same fleet.
 */
export function generateFleet(options: GenerateFleetOptions): Fleet {
  const rand = mulberry32(options.seed);
  const now = options.now ?? '2026-01-01T12:00:00.000Z';
  const nowMs = Date.parse(now);
  if (Number.isNaN(nowMs)) throw new Error(`generateFleet: now ${now} is not an instant`);
  const protectKey = options.protectTagKey ?? 'aps-autoscaler:protect';
  // Shared between records to keep a large fleet small; never mutated in place.
  const noTags: TmsTag[] = [];
  const noFreeze: { effect: 1 | 2 | 3; scene?: string }[] = [];
  const protectTags: TmsTag[] = [{ key: protectKey, value: 'true' }];
  const payPerUse = { charging_mode: '0' };
  const yearly = { charging_mode: '1' };
  // Instants fall on whole minutes, so a cache turns a million conversions
  // into a few thousand and shares the strings.
  const isoCache = new Map<number, string>();
  const iso = (ms: number): string => {
    let text = isoCache.get(ms);
    if (text === undefined) {
      text = new Date(ms).toISOString();
      isoCache.set(ms, text);
    }
    return text;
  };
  const groups: FleetGroup[] = [];
  const servers: FleetServer[] = [];
  // ECS server groups draw from their own PRNG, so adding them left every
  // other record of a seed as it was. Kind 8 keeps their ids apart from the
  // APS group ids (kind 0).
  const ecsRand = mulberry32(options.seed ^ 0x5ec5);
  const ecsServerGroups: NonNullable<Fleet['ecsServerGroups']> = [];
  const sessions: FleetSession[] = [];
  let serverIndex = 0;

  const addSession = (
    machine: string,
    groupId: string,
    ip: string,
    state: FleetSession['session_state'],
    startMs: number,
    endMs: number | null,
    lastMs: number,
  ): void => {
    sessions.push({
      id: indexedUuid(rand, 3, sessions.length),
      machine_name: machine,
      app_server_group_id: groupId,
      session_state: state,
      start_time: iso(startMs),
      end_time: endMs === null ? null : iso(endMs),
      last_update_status_time: iso(lastMs),
      login_user: `user${between(rand, 1, 500)}`,
      vm_ip: ip,
    });
  };

  for (let g = 0; g < options.groups; g++) {
    const kind = g === 0 ? 'normal' : pick(rand, GROUP_WEIGHTS);
    const groupId = indexedUuid(rand, 0, g);
    const s = oneOf(rand, [1, 2, 4, 8]);
    const productInfo = product(rand, s);
    const threshold =
      kind === 'over-threshold' ? oneOf(rand, [60, 70]) : oneOf(rand, [60, 70, 80, 90]);
    const idleMinutes = oneOf(rand, [15, 30, 60, 120]);
    const createdMs = nowMs - between(rand, 30, 400) * DAY;
    const group: FleetGroup = {
      id: groupId,
      name: `apsgroup-${String(g).padStart(5, '0')}`,
      description: `generated ${kind} group`,
      image_id: indexedUuid(rand, 5, g),
      image_name: `image-${oneOf(rand, ['office', 'cad', 'erp', 'dev'])}`,
      os_type: 'Windows',
      product_id: productInfo.product_id ?? '',
      subnet_id: indexedUuid(rand, 6, g),
      subnet_name: `subnet-${g % 16}`,
      system_disk_type: 'SAS',
      system_disk_size: 80,
      is_vdi: false,
      app_type: rand() < 0.8 ? 'COMMON_APP' : 'SESSION_DESKTOP_APP',
      create_time: iso(createdMs),
      update_time: iso(createdMs + between(rand, 0, 20) * DAY),
      storage_mount_policy: 'USER',
      enterprise_project_id: rand() < 0.9 ? '0' : indexedUuid(rand, 7, g),
      primary_server_group_ids:
        kind === 'secondary' && groups.length > 0 ? [(groups.at(-1) as FleetGroup).id] : [],
      secondary_server_group_ids: [],
      server_group_status: kind !== 'group-disabled',
      site_type: 'CENTER',
      site_id: 'cn-north-4',
      app_server_flavor_count: 1,
      app_group_count: between(rand, 0, 5),
      product_info: productInfo,
      tags: kind === 'protected' ? protectTags : [{ key: 'team', value: `team-${g % 7}` }],
      ou_name: '',
    };
    if (kind !== 'policy-off' || rand() < 0.5) {
      group.scaling_policy = {
        enable: kind !== 'policy-off',
        max_scaling_amount: between(rand, 10, 50),
        single_expansion_count: kind === 'invalid-policy' ? 0 : between(rand, 1, 5),
        scaling_policy_by_session: {
          session_usage_threshold: threshold,
          shrink_after_session_idle_minutes: idleMinutes,
        },
      };
    }
    groups.push(group);
    // Most of a group's instances sit in one anti-affinity ECS group; about
    // one in ten in none (the sweep reports those as not-in-ecs-group).
    const ecsGroup = {
      id: indexedUuid(ecsRand, 8, g),
      name: `ecs-anti-affinity-${String(g).padStart(5, '0')}`,
      policies: ['anti-affinity'],
      members: [] as string[],
    };
    ecsServerGroups.push(ecsGroup);

    for (let i = 0; i < options.serversPerGroup; i++) {
      serverIndex += 1;
      const n = serverIndex;
      const serverKind: ServerKind =
        kind === 'over-threshold' ? (rand() < 0.8 ? 'busy' : 'idle') : pick(rand, SERVER_WEIGHTS);
      const machine = `APS-${n.toString(36).toUpperCase().padStart(8, '0')}`;
      const ip = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
      const serverCreated = nowMs - between(rand, 2, 60) * DAY;
      const server: FleetServer = {
        id: indexedUuid(rand, 1, n),
        name: machine,
        machine_name: machine,
        description: '',
        server_group_id: groupId,
        instance_id: indexedUuid(rand, 2, n),
        status: 'REGISTERED',
        vm_status: 'ACTIVE',
        task_status: 'null',
        session_count: 0,
        maintain_status: false,
        scaling_auto_create: rand() < 0.25,
        create_time: iso(serverCreated),
        update_time: iso(serverCreated + HOUR),
        job_id: null,
        job_type: null,
        job_status: null,
        job_time: null,
        freeze: noFreeze,
        metadata: rand() < 0.9 ? payPerUse : yearly,
        product_info: productInfo,
        tags: noTags,
        host_address: [{ addr: ip, version: 4 }],
        availability_zone: rand() < 0.5 ? 'cn-north-4a' : 'cn-north-4b',
        os_type: 'Windows',
      };
      // Older history for realism: signed-out sessions from yesterday.
      const history = rand() < 0.3 ? 1 : 0;
      for (let h = 0; h < history; h++) {
        const start = nowMs - between(rand, 14, 23) * HOUR;
        const end = start + between(rand, 10, 90) * MINUTE;
        addSession(machine, groupId, ip, 'SignedOut', start, end, end);
      }
      switch (serverKind) {
        case 'busy': {
          const count = kind === 'over-threshold' ? s : between(rand, 1, s);
          server.session_count = count;
          for (let k = 0; k < count; k++) {
            const start = nowMs - between(rand, 5, 240) * MINUTE;
            addSession(machine, groupId, ip, 'Active', start, null, start);
          }
          break;
        }
        case 'disconnected': {
          const start = nowMs - between(rand, 60, 360) * MINUTE;
          addSession(
            machine,
            groupId,
            ip,
            'Disconnected',
            start,
            null,
            nowMs - between(rand, 10, 60) * MINUTE,
          );
          break;
        }
        case 'appc-init': {
          const start = nowMs - between(rand, 1, 3) * MINUTE;
          addSession(machine, groupId, ip, 'AppcInit', start, null, start);
          break;
        }
        case 'recently-used': {
          const end = nowMs - between(rand, 1, idleMinutes - 1) * MINUTE;
          const start = end - between(rand, 10, 120) * MINUTE;
          addSession(machine, groupId, ip, 'SignedOut', start, end, end);
          break;
        }
        case 'maintenance':
          server.maintain_status = true;
          break;
        case 'protected':
          server.tags = protectTags;
          break;
        case 'freeze':
          server.freeze = [{ effect: 2, scene: 'ARREARS' }];
          break;
        case 'job-running':
          server.job_id = indexedUuid(rand, 4, n);
          server.job_type = 'UPDATE_IMAGE';
          server.job_status = 'RUNNING';
          server.job_time = iso(nowMs - between(rand, 1, 30) * MINUTE);
          break;
        case 'not-registered':
          if (rand() < 0.5) server.status = 'UNREGISTER';
          else server.vm_status = 'SHUTOFF';
          break;
        case 'idle':
          break;
      }
      if (serverKind !== 'busy' && serverKind !== 'recently-used' && rand() < 0.5) {
        // A last session long enough ago that the server counts as idle.
        const end = nowMs - between(rand, idleMinutes + 5, 20 * 60) * MINUTE;
        const start = end - between(rand, 10, 120) * MINUTE;
        addSession(machine, groupId, ip, 'SignedOut', start, end, end);
      }
      if (ecsRand() >= 0.1) ecsGroup.members.push(server.instance_id);
      servers.push(server);
    }
  }
  return {
    description: `generated: ${options.groups} groups x ${options.serversPerGroup} servers, seed ${options.seed}`,
    projectId: options.projectId ?? deterministicHex('project', options.seed),
    now,
    groups,
    servers,
    sessions,
    ecsServerGroups,
  };
}
