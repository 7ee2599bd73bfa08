// The report's history fields: types only, imported by lib/sweep/report.ts.

/** What one sweep's history write did: objects and bytes written, or why it failed. */
export interface HistoryWrite {
  samples: number;
  objects: number;
  bytes: number;
  /** Fanout: each remediate invocation keeps its groups' samples (lib/history/batch-history.ts). */
  keptBy?: 'remediate';
  /** The cause of a failed write; the sweep goes on (WARN line, metric HistoryWriteFailures). */
  error?: string;
}

/** A group whose floor for the next hour is below what its history says it will need. */
export interface StormWarning {
  projectId: string;
  serverGroupId: string;
  serverGroupName: string;
  /** The hour in the group's zone, e.g. `Mon 08:00–09:00`. */
  hour: string;
  /** The instant one hour after the sweep, ISO 8601. */
  at: string;
  /** Servers history says the hour needs (lib/history/learn.ts). */
  need: number;
  /** The floor in force then, and where it comes from. */
  floor: number;
  floorFrom: string;
  /** LEARNED_FLOORS=raise: this sweep already keeps the learned floor. */
  raised: boolean;
}
