import type { SessionInfo } from '../lib/huawei/schemas.ts';

/** A session and its start instant (epoch ms), kept together for window searches. */
export interface SessionRecord {
  info: SessionInfo;
  startMs: number;
}

function byStart(a: SessionRecord, b: SessionRecord): number {
  return a.startMs - b.startMs || (a.info.id < b.info.id ? -1 : a.info.id > b.info.id ? 1 : 0);
}

/** First index whose start is >= t (records sorted ascending by start). */
export function firstAtOrAfter(records: readonly SessionRecord[], t: number): number {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as SessionRecord).startMs < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(records: SessionRecord[], record: SessionRecord): void {
  let i = firstAtOrAfter(records, record.startMs);
  while (i < records.length && byStart(records[i] as SessionRecord, record) < 0) i++;
  records.splice(i, 0, record);
}

/**
 * Every session, indexed by id, machine and group, each list sorted by start
 * on first read (most are never read), so a window search is two binary
 * searches instead of a scan.
 */
export class SessionIndex {
  private readonly byId = new Map<string, SessionRecord>();
  private all: SessionRecord[] = [];
  private readonly byMachine = new Map<string, SessionRecord[]>();
  private readonly byGroup = new Map<string, SessionRecord[]>();
  private sortedLists = new WeakSet<SessionRecord[]>();

  /** Replaces every session with `records`; takes ownership of the array. */
  load(records: SessionRecord[]): void {
    this.byId.clear();
    this.byMachine.clear();
    this.byGroup.clear();
    this.sortedLists = new WeakSet();
    for (const record of records) {
      this.byId.set(record.info.id, record);
      this.index(record);
    }
    this.all = records;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  add(record: SessionRecord): void {
    this.byId.set(record.info.id, record);
    if (this.sortedLists.has(this.all)) insertSorted(this.all, record);
    else this.all.push(record);
    this.index(record);
  }

  /** Every session, oldest start first. */
  sessions(): SessionInfo[] {
    return this.sorted(this.all).map((r) => r.info);
  }

  /** The sessions on one machine, oldest start first. */
  ofMachine(machineName: string): SessionInfo[] {
    const list = this.byMachine.get(machineName);
    return list ? this.sorted(list).map((r) => r.info) : [];
  }

  /** The narrowest sorted list for a search: one machine's, one group's, or all. */
  source(filter: {
    machineName?: string | undefined;
    groupId?: string | undefined;
  }): SessionRecord[] {
    const list =
      filter.machineName !== undefined
        ? this.byMachine.get(filter.machineName)
        : filter.groupId !== undefined
          ? this.byGroup.get(filter.groupId)
          : this.all;
    return list ? this.sorted(list) : [];
  }

  private index(record: SessionRecord): void {
    this.addTo(this.byMachine, record.info.machine_name ?? '', record);
    this.addTo(this.byGroup, record.info.app_server_group_id ?? '', record);
  }

  private addTo(map: Map<string, SessionRecord[]>, key: string, record: SessionRecord): void {
    const list = map.get(key);
    if (!list) map.set(key, [record]);
    else if (this.sortedLists.has(list)) insertSorted(list, record);
    else list.push(record);
  }

  private sorted(list: SessionRecord[]): SessionRecord[] {
    if (!this.sortedLists.has(list)) {
      list.sort(byStart);
      this.sortedLists.add(list);
    }
    return list;
  }
}
