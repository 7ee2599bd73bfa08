export type { AdminControl } from './admin.ts';
export { authenticate, expectedSignature, parseRawQuery } from './auth.ts';
export { parseSdkDate, toSdkDate, VirtualClock } from './clock.ts';
export {
  type FaultConfig,
  FaultConfigSchema,
  FaultInjector,
  type FaultKind,
  ROUTE_KEYS,
  type RouteFaults,
  RouteFaultsSchema,
  type RouteKey,
} from './faults.ts';
export {
  type Fleet,
  type FleetGroup,
  FleetGroupSchema,
  FleetSchema,
  type FleetServer,
  FleetServerSchema,
  type FleetSession,
  FleetSessionSchema,
  FleetValidationError,
  loadFleetFile,
  parseFleet,
  shiftFleet,
} from './fleet.ts';
export { type GenerateFleetOptions, generateFleet } from './generate-fleet.ts';
export { mulberry32 } from './prng.ts';
export { ERROR_CODES } from './route-params.ts';
export { ROUTES } from './routes.ts';
export {
  type CallLogEntry,
  DEFAULT_CREDENTIALS,
  DEMO_FLEET_PATH,
  type SimClockOptions,
  type SimCredentials,
  type Simulator,
  type StartSimulatorOptions,
  startSimulator,
} from './server.ts';
export { type Page, SimState } from './state.ts';
