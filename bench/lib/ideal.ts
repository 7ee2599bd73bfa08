/** The APS list APIs' maximum page size, which the clients always ask for. */
export const PAGE_SIZE = 100;

/**
 * Requests needed to list `count` items at `pageSize` per page: at least one
 * (an empty list still costs the request that says so).
 */
export function pagesFor(count: number, pageSize = PAGE_SIZE): number {
  if (!(count >= 0) || !Number.isInteger(count))
    throw new RangeError('count must be a whole number');
  if (!(pageSize >= 1) || !Number.isInteger(pageSize)) {
    throw new RangeError('pageSize must be a whole number >= 1');
  }
  return Math.max(1, Math.ceil(count / pageSize));
}

/**
 * What a sweep must do for one group: list its members and its sessions of
 * the look-back window (`null`: that listing is not needed, e.g. the session
 * history of a group its own record skips or of a group over its threshold),
 * and remove `removals` servers.
 */
export interface GroupNeeds {
  servers: number | null;
  sessions: number | null;
  /**
   * Skipped on its own record: its members are listed only to name each on
   * the report (lib/removal/plan/plan-group.ts `nameSkipped`), never its sessions.
   */
  skippedOnRecord?: boolean;
  removals: number;
  /**
   * `remove-member`: remove_member calls of those removals, one per ECS group
   * holding each removed instance (0 for one in none); default `removals`.
   */
  removeCalls?: number;
  /** Of `removals`, the servers a drain puts into maintenance (those that reach a removal call); default `removals`. */
  drained?: number;
}

/** Servers per batch-maint and per batch-delete call (docs/huawei-api.md). */
export const BATCH_SIZE = 20;

/** The re-check's reads of one acting group: its record, its members, its sessions. */
export const GROUP_RECHECK_READS = 3;

export interface MinimumRequestsInput {
  groups: readonly GroupNeeds[];
  pageSize?: number;
  /**
   * The project's ECS server groups: when anything is removed, one listing of
   * them (⌈n ÷ ECS_PAGE_SIZE⌉ pages, at least one) serves every group. Left
   * out: no ECS listing is counted (release mode).
   */
  ecsGroups?: number;
  /**
   * Drain on (DRAIN_SECONDS > 0): each group that acts is re-read after the
   * wait (record, members, sessions), and the drained servers go into
   * maintenance 20 at a time (batch-maint takes any of the project's
   * servers: ⌈n ÷ 20⌉ calls for them all); `lift`: maintenance is lifted
   * again after removal (remove-member, where the server lives on outside
   * the group), ⌈n ÷ 20⌉ calls per group.
   */
  drain?: { lift: boolean };
}

/** The client's ECS server-group page size (lib/huawei/ecs-client.ts). */
export const ECS_PAGE_SIZE = 100;

export interface MinimumRequests {
  groupPages: number;
  serverPages: number;
  sessionPages: number;
  /**
   * One GET per planned server right before removing it (the design's safety
   * re-read); with a drain, a server eligibility refuses is never re-read.
   */
  rereads: number;
  /** One remove_member per ECS group holding a removed instance (or one delete per server). */
  removes: number;
  /** Pages of the one ECS server-group listing (0 when nothing is removed). */
  ecsListPages: number;
  /**
   * Drain on: the re-check of each acting group after the wait, on fresh data
   * (docs/drain-lifecycle.md): the group's record (its policy unchanged),
   * its members (the floor) and its sessions (none arrived): 3 per group.
   */
  groupRereads: number;
  /** Drain on: batch-maint calls putting the project's drained servers into maintenance, ⌈n ÷ 20⌉. */
  maintenanceOn: number;
  /**
   * Drain on, remove-member: batch-maint calls lifting it after removal, made
   * by each group's settling under its lease: Σ ⌈n ÷ 20⌉ per group.
   */
  maintenanceLift: number;
  total: number;
  /** The most pages one group's listings need (servers and sessions run side by side). */
  maxGroupListingPages: number;
  /** The most removals in one group: they run one after another. */
  maxGroupRemovals: number;
}

/**
 * The fewest API calls a sweep of this fleet can make without faults: every
 * page of the group listing, every page of each listing a group needs, a
 * re-read per removed server plus its removal calls, and (`remove-member`)
 * one listing of the project's ECS server groups when anything is removed.
 */
export function minimumSweepRequests(input: MinimumRequestsInput): MinimumRequests {
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const groupPages = pagesFor(input.groups.length, pageSize);
  let serverPages = 0;
  let sessionPages = 0;
  let maxGroupListingPages = 0;
  let maxGroupRemovals = 0;
  let removals = 0;
  let rereads = 0;
  let removes = 0;
  let groupRereads = 0;
  let drainedServers = 0;
  let maintenanceLift = 0;
  for (const group of input.groups) {
    const drained = group.drained ?? group.removals;
    // With a drain, eligibility refuses a server before it is drained or read
    // again; without one, every planned server is re-read before the remover answers.
    rereads += input.drain !== undefined ? drained : group.removals;
    if (input.drain !== undefined && drained > 0) {
      groupRereads += GROUP_RECHECK_READS;
      drainedServers += drained;
      if (input.drain.lift) maintenanceLift += Math.ceil(drained / BATCH_SIZE);
    }
    const servers = group.servers === null ? 0 : pagesFor(group.servers, pageSize);
    const sessions = group.sessions === null ? 0 : pagesFor(group.sessions, pageSize);
    serverPages += servers;
    sessionPages += sessions;
    maxGroupListingPages = Math.max(maxGroupListingPages, servers, sessions);
    maxGroupRemovals = Math.max(maxGroupRemovals, group.removals);
    removals += group.removals;
    removes += group.removeCalls ?? group.removals;
  }
  const ecsListPages =
    input.ecsGroups === undefined || removals === 0 ? 0 : pagesFor(input.ecsGroups, ECS_PAGE_SIZE);
  const maintenanceOn = Math.ceil(drainedServers / BATCH_SIZE);
  return {
    groupPages,
    serverPages,
    sessionPages,
    rereads,
    removes,
    ecsListPages,
    groupRereads,
    maintenanceOn,
    maintenanceLift,
    total:
      groupPages +
      serverPages +
      sessionPages +
      rereads +
      removes +
      ecsListPages +
      groupRereads +
      maintenanceOn +
      maintenanceLift,
    maxGroupListingPages,
    maxGroupRemovals,
  };
}

export interface IdealTimeInput {
  minimum: MinimumRequests;
  /** The latency of one request, ms (the simulator's injected latency; its own work counts as free). */
  latencyMs: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The drain period waited between putting servers into maintenance and acting, s; default 0. */
  drainSeconds?: number;
}

export interface IdealTime {
  /** Evaluating: every listing, ms. */
  evaluateMs: number;
  /** Drain on: maintenance calls, then the drain period, ms (0 with drain off). */
  drainMs: number;
  /** Acting, after the barrier (and the drain): every re-read, removal and maintenance lift, ms. */
  actMs: number;
  totalMs: number;
  /** Longest chains, in requests: listings, then removals. */
  depth: { evaluate: number; act: number };
}

/**
 * The critical-path time of a sweep that makes only the minimum requests,
 * ms. Two phases, because the sweep cap needs every decision before any
 * removal (the evaluate→act barrier): evaluating takes at least its longest
 * chain (the group-listing pages, then one group's listing pages) and at
 * least its requests pushed through `concurrency` slots; acting likewise,
 * its chain being one group's removals one after another (a re-read, then
 * the removal, per server). Each phase = max(depth × L, requests × L ÷ C).
 * With a drain, the maintenance calls and the drain period come between.
 */
export function idealSweepMs(input: IdealTimeInput): IdealTime {
  if (!(input.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  const m = input.minimum;
  const L = input.latencyMs;
  const phase = (depth: number, requests: number) =>
    requests === 0 ? 0 : Math.max(depth * L, (requests * L) / input.concurrency);
  const depth = {
    evaluate: m.groupPages + m.maxGroupListingPages,
    act: 2 * m.maxGroupRemovals,
  };
  const evaluateMs = phase(depth.evaluate, m.groupPages + m.serverPages + m.sessionPages);
  const drainMs =
    m.maintenanceOn === 0 ? 0 : phase(1, m.maintenanceOn) + (input.drainSeconds ?? 0) * 1000;
  const actMs = phase(depth.act, m.rereads + m.removes + m.groupRereads + m.maintenanceLift);
  return { evaluateMs, drainMs, actMs, totalMs: evaluateMs + drainMs + actMs, depth };
}

export interface ThrottleUseInput {
  /** Requests the route answered with 2xx. */
  accepted: number;
  /** From the route's first to its last request, seconds. */
  spanSeconds: number;
  /** The route's token-bucket refill rate, requests per second. */
  ratePerSecond: number;
  /** The bucket's size: requests it lets through at once when full. */
  burst: number;
}

/**
 * How much of a throttled route's allowance a client used: requests accepted
 * ÷ the most the token bucket can accept in that span (`burst + rate × span`).
 * 1 means every token was used; it cannot exceed 1 against an exact bucket.
 */
export function throttleUse(input: ThrottleUseInput): number {
  const allowed = input.burst + input.ratePerSecond * Math.max(0, input.spanSeconds);
  return allowed > 0 ? input.accepted / allowed : 0;
}

/** The median of a non-empty sample (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}
