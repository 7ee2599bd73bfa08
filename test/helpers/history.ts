import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { needsKeyOf } from '../../lib/history/needs-file.ts';
import { HISTORY_PREFIX } from '../../lib/history/store.ts';
import type { Simulator } from '../../sim/server.ts';
import { applyWeeklyStep, type WeeklyGroup, weeklyFleet } from '../../sim/weekly-fleet.ts';
import { startFrozenSimulator } from './stack.ts';

/** The simulator holding `groups` of the weekly fleet, frozen at `now` with its sessions of that instant. */
export async function startWeeklySimulator(
  groups: WeeklyGroup[],
  seed: number,
  now: number,
): Promise<Simulator> {
  const sim = await startFrozenSimulator({
    fleet: weeklyFleet(groups, seed, now),
    clock: { now: new Date(now).toISOString() },
  });
  applyWeeklyStep(sim.state, groups, now, seed);
  return sim;
}

/** Puts a project's learned needs (as recommend leaves them): `needs` for each of `groups`, in UTC. */
export async function putLearnedNeeds(
  store: { client: S3Client; bucket: string; projectId: string },
  groups: readonly Pick<WeeklyGroup, 'id' | 'name'>[],
  needs: readonly number[],
): Promise<void> {
  await store.client.send(
    new PutObjectCommand({
      Bucket: store.bucket,
      Key: `${HISTORY_PREFIX}${needsKeyOf(store.projectId)}`,
      Body: JSON.stringify({
        generatedAt: '2026-11-08T00:00:00.000Z',
        groups: Object.fromEntries(
          groups.map((g) => [g.id, { name: g.name, timeZone: 'UTC', needs }]),
        ),
      }),
    }),
  );
}
