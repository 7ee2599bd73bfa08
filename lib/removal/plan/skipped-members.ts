import type { AppServer } from '../../huawei/schemas.ts';
import type { Decision, MemberVerdict } from '../../scaling/types.ts';

/**
 * A skipped group's decision with every listed member named, each kept with
 * its group's skip as its verdict (`group-skipped`), sorted by id as every
 * decision's members are; any other decision, or a skip that already names
 * its members, as it is. Pure. These verdicts are `keep`: never a removal,
 * never counted as one.
 */
export function nameSkippedMembers(decision: Decision, members: readonly AppServer[]): Decision {
  if (decision.kind !== 'skip' || decision.members.length > 0 || members.length === 0) {
    return decision;
  }
  const verdicts = [...members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map(
      (server): MemberVerdict => ({
        serverId: server.id,
        machineName: server.machine_name,
        instanceId: server.instance_id,
        action: 'keep',
        reason: { kind: 'group-skipped', skip: decision.reason },
      }),
    );
  return { ...decision, members: verdicts };
}
