import { fileURLToPath } from 'node:url';
import type { FaultConfig } from './faults.ts';
import { type Fleet, loadFleetFile, parseFleet } from './fleet.ts';
import { type GenerateFleetOptions, generateFleet } from './generate-fleet.ts';

/** The fleet `startSimulator` loads when given none. */
export const DEMO_FLEET_PATH = fileURLToPath(
  new URL('../events/fleets/demo.json', import.meta.url),
);

export const DEFAULT_CREDENTIALS = {
  ak: 'SIMULATORACCESSKEY00',
  sk: 'simulator-secret-key-do-not-use-in-production',
} as const;

export interface SimCredentials {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

export interface SimClockOptions {
  /** `fleet` (default: the fleet's `now`), `real` (the wall clock) or an ISO instant. */
  now?: string | undefined;
  /** Stay at the start instant until moved through the admin API. */
  frozen?: boolean | undefined;
  /** Shift every fleet timestamp so the fleet's `now` lands on the start instant. */
  rebase?: boolean | undefined;
}

export interface StartSimulatorOptions {
  /** A fleet object or the path of a fleet JSON file; default events/fleets/demo.json. */
  fleet?: Fleet | string | undefined;
  /** Generate a fleet instead of loading one. */
  generate?: Pick<GenerateFleetOptions, 'groups' | 'serversPerGroup' | 'seed' | 'now'> | undefined;
  /** Default 0: any free port on 127.0.0.1. */
  port?: number | undefined;
  /** Default: AK `SIMULATORACCESSKEY00`, SK `simulator-secret-key-do-not-use-in-production`. */
  credentials?: SimCredentials | undefined;
  /** Default: the fleet's project id. */
  projectId?: string | undefined;
  /** Seeds faults, request ids and job ids; default the generate seed, else 1. */
  seed?: number | undefined;
  faults?: FaultConfig | undefined;
  clock?: SimClockOptions | undefined;
  /** Seconds a delete job stays RUNNING (virtual time); default 0. */
  jobSeconds?: number | undefined;
  /** Call log entries kept; the oldest tenth is dropped beyond it. Default 100,000. */
  callLogLimit?: number | undefined;
}

/** Where each (re)load takes its fleet from: a parsed copy, or the generator. */
export function fleetSource(options: StartSimulatorOptions): () => Fleet {
  if (options.generate !== undefined && options.fleet !== undefined) {
    throw new Error('startSimulator: give either fleet or generate, not both');
  }
  const generate = options.generate;
  if (generate !== undefined) return () => generateFleet(generate);
  const parsed =
    typeof options.fleet === 'object'
      ? parseFleet(options.fleet)
      : loadFleetFile(options.fleet ?? DEMO_FLEET_PATH);
  return () => structuredClone(parsed);
}

/** The instant the virtual clock starts at, for a fleet whose own now is `fleetNow`. */
export function startInstant(clock: SimClockOptions | undefined, fleetNow: number): number {
  const now = clock?.now;
  if (now === undefined || now === 'fleet') return fleetNow;
  if (now === 'real') return Date.now();
  const ms = Date.parse(now);
  if (Number.isNaN(ms)) throw new Error(`startSimulator: clock.now ${now} is not an instant`);
  return ms;
}
