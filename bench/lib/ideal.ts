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

/** What a sweep must read for one group: its members and its sessions of the look-back window. */
export interface GroupListingCounts {
  servers: number;
  sessions: number;
}

export interface MinimumRequestsInput {
  groups: readonly GroupListingCounts[];
  /** Servers the sweep removes (each costs one re-read and one remove call). */
  removals: number;
  pageSize?: number;
}

export interface MinimumRequests {
  groupPages: number;
  serverPages: number;
  sessionPages: number;
  /** One GET per removed server, right before removing it (the design's safety re-read). */
  rereads: number;
  /** One remove_member (or delete) per removed server. */
  removes: number;
  total: number;
  /** The most pages one group's listings need (servers and sessions run side by side). */
  maxGroupListingPages: number;
}

/**
 * The fewest API calls an inline sweep of this fleet can make without faults:
 * every page of the group listing, every page of each group's servers and of
 * its sessions, and a re-read plus a removal per removed server.
 */
export function minimumSweepRequests(input: MinimumRequestsInput): MinimumRequests {
  const pageSize = input.pageSize ?? PAGE_SIZE;
  const groupPages = pagesFor(input.groups.length, pageSize);
  let serverPages = 0;
  let sessionPages = 0;
  let maxGroupListingPages = 0;
  for (const group of input.groups) {
    const servers = pagesFor(group.servers, pageSize);
    const sessions = pagesFor(group.sessions, pageSize);
    serverPages += servers;
    sessionPages += sessions;
    maxGroupListingPages = Math.max(maxGroupListingPages, servers, sessions);
  }
  const rereads = input.removals;
  const removes = input.removals;
  return {
    groupPages,
    serverPages,
    sessionPages,
    rereads,
    removes,
    total: groupPages + serverPages + sessionPages + rereads + removes,
    maxGroupListingPages,
  };
}

export interface SweepDepthInput {
  groupPages: number;
  maxGroupListingPages: number;
  /** Whether any server is removed (adds the re-read → remove pair to the chain). */
  removes: boolean;
}

/**
 * The longest chain of requests that must run one after another: the group
 * listing pages (each page's offset follows the previous answer), then the
 * pages of one group's listings (servers and sessions run side by side), then
 * a removal's re-read followed by its remove call.
 */
export function sweepDepth(input: SweepDepthInput): number {
  return input.groupPages + input.maxGroupListingPages + (input.removes ? 2 : 0);
}

export interface IdealTimeInput {
  requests: number;
  depth: number;
  /** The latency of one request, ms (the simulator's injected latency; its own work counts as free). */
  latencyMs: number;
  /** Requests in flight at once. */
  concurrency: number;
}

/**
 * The critical-path time of a sweep, ms: no client can finish before its
 * longest dependency chain has run (`depth × latency`) nor before it has
 * pushed all its requests through `concurrency` slots (`requests × latency /
 * concurrency`), so ideal = max(depth × latency, requests × latency / concurrency).
 */
export function idealSweepMs(input: IdealTimeInput): number {
  if (!(input.concurrency >= 1)) throw new RangeError('concurrency must be at least 1');
  return Math.max(
    input.depth * input.latencyMs,
    (input.requests * input.latencyMs) / input.concurrency,
  );
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
