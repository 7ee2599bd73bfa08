import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateFleet } from '../../sim/index.ts';
import { scratchDir } from './bundle.ts';
import type { DeployedRun, DeployedSweeps } from './deployed-sweep.ts';
import { startSimProcess } from './sim-process.ts';

/** A budget wide enough never to hold a removal back: the ledger's requests without its verdicts. */
export const NEVER_HOLDS = '[{"max":"100%","scope":"group"}]';

/** One acting sweep of the DynamoDB lines: every group drains `perGroup` servers. */
export interface DynamoRun {
  groups: number;
  seed: number;
  perGroup: number;
  /** BUDGETS of the run: empty (the deployed default) or {@link NEVER_HOLDS}. */
  budgets: string;
  run: DeployedRun;
}

/**
 * A generated fleet (seed `seed`) made uniform: every group a normal one
 * with its policy on, `perGroup + 1` servers each, all in service, idle
 * (no session at all, created days ago) and in the group's ECS server group,
 * so an acting sweep with MAX_REMOVALS_PER_GROUP ≥ `perGroup` and the floor
 * of 1 drains exactly `perGroup` servers in every group.
 */
export function uniformIdleFleet(groups: number, perGroup: number, seed: number) {
  const fleet = generateFleet({ groups, serversPerGroup: perGroup + 1, seed });
  const policy = {
    enable: true,
    max_scaling_amount: 10,
    single_expansion_count: 1,
    scaling_policy_by_session: {
      session_usage_threshold: 90,
      shrink_after_session_idle_minutes: 15,
    },
  };
  const instancesOf = new Map<string, string[]>();
  for (const server of fleet.servers) {
    Object.assign(server, {
      status: 'REGISTERED',
      vm_status: 'ACTIVE',
      task_status: 'null',
      session_count: 0,
      maintain_status: false,
      tags: [],
      freeze: [],
      job_id: null,
      job_type: null,
      job_status: null,
      job_time: null,
    });
    const id = server.server_group_id ?? '';
    instancesOf.set(id, [...(instancesOf.get(id) ?? []), server.instance_id]);
  }
  fleet.groups.forEach((group, g) => {
    Object.assign(group, {
      server_group_status: true,
      tags: [],
      primary_server_group_ids: [],
      scaling_policy: policy,
    });
    const ecs = fleet.ecsServerGroups?.[g];
    if (ecs !== undefined) ecs.members = instancesOf.get(group.id) ?? [];
  });
  return { ...fleet, sessions: [] };
}

/**
 * The acting sweeps of the DynamoDB lines, each on a fresh simulator serving
 * {@link uniformIdleFleet} and a fresh drain table: `groups` groups draining
 * each of `perGroup` servers a group, without BUDGETS and with one that never
 * holds (its ledger's requests counted, its verdicts never in the way).
 */
export async function runDynamoBench(
  sweeps: DeployedSweeps,
  options: { groups: number; perGroup: readonly number[]; seed: number },
): Promise<DynamoRun[]> {
  const scratch = scratchDir('aps-bench-dynamo');
  const runs: DynamoRun[] = [];
  try {
    for (const budgets of ['', NEVER_HOLDS]) {
      for (const perGroup of options.perGroup) {
        const fleetFile = join(scratch.path, `fleet-${perGroup}.json`);
        writeFileSync(
          fleetFile,
          JSON.stringify(uniformIdleFleet(options.groups, perGroup, options.seed)),
        );
        const sim = await startSimProcess({
          groups: options.groups,
          serversPerGroup: perGroup + 1,
          seed: options.seed,
          fleetFile,
        });
        try {
          const run = await sweeps.run(sim, {
            DRY_RUN: 'false',
            MAX_CONCURRENCY: '16',
            RATE_LIMIT_RPS: '0',
            MAX_REMOVALS_PER_SWEEP: '1000000',
            MAX_REMOVALS_PER_GROUP: String(Math.max(perGroup, 1)),
            MIN_SERVERS_PER_GROUP: '1',
            ...(budgets === '' ? {} : { BUDGETS: budgets }),
          });
          if ('unavailable' in run) throw new Error(run.unavailable);
          runs.push({ groups: options.groups, seed: options.seed, perGroup, budgets, run });
        } finally {
          await sim.stop();
        }
      }
    }
    return runs;
  } finally {
    scratch.remove();
  }
}
