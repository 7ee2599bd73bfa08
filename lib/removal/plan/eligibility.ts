import type { AppServer } from '../../huawei/schemas.ts';
import type { Removal } from '../../scaling/types.ts';
import { releaseRefusal } from '../actuation/remover.ts';
import type { RemovalOutcome, RemovalReport } from '../outcome.ts';
import type { RemovalServices, RemovalSettings } from '../types.ts';

/** The outcome a planned removal ends in before anything is drained or called. */
export type Refusal = Pick<RemovalReport, 'outcome' | 'detail'>;

/** Every outcome `refusalOf` can answer: the remover's refusals. */
export const REFUSAL_OUTCOMES: readonly RemovalOutcome[] = [
  'not-in-ecs-group',
  'prepaid',
  'unknown-charging-mode',
];

/**
 * May this planned removal be acted on at all? Undefined when yes; else the
 * outcome the remover could only answer, found without a change: in
 * `release` mode a yearly/monthly or unknown charging mode (from `server`,
 * the server as listed), in `remove-member` mode an instance in no ECS
 * server group (a read-only ECS lookup, shared per project). Such a server
 * is never drained (it would refuse new sessions for the drain period on
 * every run for nothing), and a dry run reports it as an acting run would.
 * Unknown (no listed server, a failed listing) is undefined: the remover
 * reports that failure after the re-check.
 */
export async function refusalOf(
  removal: Removal,
  server: Pick<AppServer, 'metadata'> | undefined,
  services: Pick<RemovalServices, 'ecsGroupsOf'>,
  settings: Pick<RemovalSettings, 'removalMode'>,
): Promise<Refusal | undefined> {
  if (settings.removalMode === 'release') {
    return server === undefined ? undefined : releaseRefusal(server);
  }
  if (services.ecsGroupsOf === undefined) return undefined;
  if (removal.instanceId === undefined || removal.instanceId === '') return undefined;
  const groups = await services.ecsGroupsOf(removal.instanceId).catch(() => undefined);
  if (groups === undefined || groups.length > 0) return undefined;
  return {
    outcome: 'not-in-ecs-group',
    detail: `instance ${removal.instanceId} is in no ECS server group: nothing to remove it from`,
  };
}

/**
 * {@link refusalOf} for each candidate, answered in the candidates' order.
 * The lookups run side by side: the HTTP core's request limiter
 * (MAX_CONCURRENCY, shared by the invocation) is what bounds them, so a
 * group's planned removals cost ⌈lookups ÷ MAX_CONCURRENCY⌉ round trips
 * instead of one each. A failed lookup is undefined (unknown), as with
 * {@link refusalOf}.
 */
export function refusalsOf(
  candidates: readonly { removal: Removal; server?: Pick<AppServer, 'metadata'> | undefined }[],
  services: Pick<RemovalServices, 'ecsGroupsOf'>,
  settings: Pick<RemovalSettings, 'removalMode'>,
): Promise<(Refusal | undefined)[]> {
  return Promise.all(candidates.map((c) => refusalOf(c.removal, c.server, services, settings)));
}
