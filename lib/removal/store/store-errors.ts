import { AutoscalerError, DependencyError } from '../../errors.ts';

/** Which conditional write of the drain store was refused. */
export type DrainConflictKind =
  | 'already-recorded'
  | 'not-recorded'
  | 'owner-mismatch'
  | 'state-mismatch';

/**
 * A conditional write on a drain record failed: the record exists already
 * (`recordDrain`), is gone, or belongs to another owner or state. Nothing was
 * written; `current` is the record as read right after, when there is one.
 */
export class DrainConflictError extends AutoscalerError {
  override readonly name = 'DrainConflictError';
  readonly kind: DrainConflictKind;
  readonly projectId: string;
  readonly serverId: string;
  readonly currentOwner: string | undefined;
  readonly currentState: string | undefined;
  constructor(
    info: {
      kind: DrainConflictKind;
      operation: string;
      projectId: string;
      serverId: string;
      currentOwner?: string | undefined;
      currentState?: string | undefined;
    },
    options?: ErrorOptions,
  ) {
    const held =
      info.currentOwner === undefined
        ? ''
        : ` (held by ${info.currentOwner}, state ${info.currentState ?? 'unknown'})`;
    super(`${info.operation} of server ${info.serverId}: ${info.kind}${held}`, options);
    this.kind = info.kind;
    this.projectId = info.projectId;
    this.serverId = info.serverId;
    this.currentOwner = info.currentOwner;
    this.currentState = info.currentState;
  }
}

/** A renewal found the lease expired or taken by another owner: stop acting on the group. */
export class LeaseLostError extends AutoscalerError {
  override readonly name = 'LeaseLostError';
  readonly groupKey: string;
  readonly owner: string;
  constructor(info: { groupKey: string; owner: string }, options?: ErrorOptions) {
    super(`lease on group ${info.groupKey} is no longer held by ${info.owner}`, options);
    this.groupKey = info.groupKey;
    this.owner = info.owner;
  }
}

/**
 * A call to the drain table failed for another reason than a refused
 * condition (throttled, network, access denied) or returned an item that does
 * not fit its schema. `cause` holds the SDK error.
 */
export class DrainStoreError extends DependencyError {
  override readonly name = 'DrainStoreError';
  readonly operation: string;
  readonly tableName: string;
  readonly code: string | undefined;
  readonly requestId: string | undefined;
  constructor(
    info: {
      operation: string;
      tableName: string;
      detail: string;
      code?: string;
      requestId?: string;
    },
    options?: ErrorOptions,
  ) {
    super(
      `${info.operation} on table ${info.tableName} failed: ${info.detail}${
        info.requestId ? ` (request id ${info.requestId})` : ''
      }`,
      options,
    );
    this.operation = info.operation;
    this.tableName = info.tableName;
    this.code = info.code;
    this.requestId = info.requestId;
  }
}
