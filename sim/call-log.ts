import type { FaultKind } from './faults.ts';
import type { RouteKey } from './route-table.ts';

/** One API call as the simulator saw it. */
export interface CallLogEntry {
  seq: number;
  method: string;
  path: string;
  /** The raw query string, without `?`. */
  query: string;
  /** Null for an unknown API. */
  route: RouteKey | null;
  /** 0 when no answer was sent (hang, reset). */
  status: number;
  /** The status the route itself produced; 0 when it did not run. Differs from `status` when a commit fault lost the answer. */
  routeStatus: number;
  /** A mutating route's request body (UTF-8, at most 4 KiB); absent for other routes. */
  body?: string;
  /** Servers this call detached from their group or deleted, as the simulator applied it. */
  removed: string[];
  /** The injected latency (deterministic). */
  latencyMs: number;
  /** Measured wall time from arrival to answer (not deterministic). */
  durationMs: number;
  /** Null when the signature was not checked (unknown API). */
  signatureOk: boolean | null;
  fault: FaultKind | null;
  requestId: string;
  /** The virtual time at arrival. */
  time: string;
}

/** Appends an entry; a full log first drops its oldest tenth, so appends stay cheap. */
export function appendCall(calls: CallLogEntry[], entry: CallLogEntry, limit: number): void {
  if (calls.length >= limit) calls.splice(0, Math.ceil(limit / 10));
  calls.push(entry);
}
