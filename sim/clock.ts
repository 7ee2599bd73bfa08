export interface VirtualClockOptions {
  /** Stay at the start instant until moved through set/advance. */
  frozen?: boolean;
  /** Monotonic milliseconds; injectable for tests. */
  realNow?: () => number;
}

/**
 * The simulator's clock: starts at an instant and either follows real elapsed
 * time or stays frozen; both kinds can be moved with set/advance.
 */
export class VirtualClock {
  private base: number;
  private realBase: number;
  private frozen: boolean;
  private readonly realNow: () => number;

  constructor(startMs: number, options: VirtualClockOptions = {}) {
    this.realNow = options.realNow ?? (() => performance.now());
    this.frozen = options.frozen ?? false;
    this.base = startMs;
    this.realBase = this.realNow();
  }

  /** The virtual instant in epoch milliseconds. */
  now(): number {
    return this.frozen ? this.base : this.base + (this.realNow() - this.realBase);
  }

  get isFrozen(): boolean {
    return this.frozen;
  }

  /** Jumps to an instant (epoch milliseconds); backwards is allowed. */
  set(epochMs: number): void {
    this.base = epochMs;
    this.realBase = this.realNow();
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.set(this.now() + ms);
  }

  /** Freezes or unfreezes the clock at its current instant. */
  setFrozen(frozen: boolean): void {
    const at = this.now();
    this.frozen = frozen;
    this.set(at);
  }
}

/** `20260101T120000Z`: the X-Sdk-Date form of an instant. */
export function toSdkDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/** Parses `YYYYMMDDTHHMMSSZ`; undefined when malformed. */
export function parseSdkDate(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(
    Number(m[1]),
    Number(m[2]) - 1,
    Number(m[3]),
    Number(m[4]),
    Number(m[5]),
    Number(m[6]),
  );
  return Number.isNaN(ms) ? undefined : ms;
}
