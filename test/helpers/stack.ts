import { Logger } from '@aws-lambda-powertools/logger';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { HandlerDeps } from '../../functions/runtime.ts';
import { loadConfig } from '../../lib/config.ts';
import { type Simulator, type StartSimulatorOptions, startSimulator } from '../../sim/server.ts';

/** Mutating API calls as the simulator logged them (POST, PATCH, PUT, DELETE). */
export function mutatingCalls(sim: Simulator) {
  return sim.calls.filter((c) => c.method !== 'GET' && !c.path.startsWith('/_sim'));
}

/** Starts the simulator with a frozen virtual clock (the demo fleet unless told otherwise). */
export function startFrozenSimulator(options: StartSimulatorOptions = {}): Promise<Simulator> {
  return startSimulator({ ...options, clock: { frozen: true, ...options.clock } });
}

/** Lines a Powertools logger printed, parsed; install with `captureLogs()` and read `.lines`. */
export interface CapturedLogs {
  lines: Record<string, unknown>[];
  raw: string[];
}

/**
 * A silent-to-the-console Powertools logger whose JSON lines are kept in
 * memory, so tests can read the audit trail and check it for secrets.
 */
export function capturingLogger(): { logger: Logger; logs: CapturedLogs } {
  const logs: CapturedLogs = { lines: [], raw: [] };
  const logger = new Logger({ serviceName: 'aps-autoscaler', logLevel: 'DEBUG' });
  const sink = (line: unknown) => {
    const text = String(line);
    logs.raw.push(text);
    try {
      logs.lines.push(JSON.parse(text));
    } catch {
      // A line that is not JSON is still kept raw.
    }
  };
  // Powertools writes through its own console; route it to memory.
  const target = logger as unknown as { console: Record<string, (line: unknown) => void> };
  target.console = { log: sink, info: sink, warn: sink, error: sink, debug: sink, trace: sink };
  return { logger, logs };
}

/** Handler dependencies pointed at `sim`: its endpoints, keys and virtual clock. */
export function depsFor(
  sim: Simulator,
  options: {
    env?: Record<string, string>;
    sqs?: SQSClient;
    logger?: Logger;
    fetch?: typeof globalThis.fetch;
  } = {},
): HandlerDeps {
  const config = loadConfig({
    HUAWEICLOUD_SDK_AK: sim.credentials.ak,
    HUAWEICLOUD_SDK_SK: sim.credentials.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
    APS_ENDPOINT: sim.url,
    ECS_ENDPOINT: sim.url,
    RATE_LIMIT_RPS: '0',
    HTTP_TIMEOUT_MS: '2000',
    // Remove at once unless a test drains (then it passes DRAIN_SECONDS and a table).
    DRAIN_SECONDS: '0',
    ...options.env,
  });
  const sqs =
    options.sqs ??
    new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  return {
    config: () => config,
    logger: options.logger ?? capturingLogger().logger,
    sqs: async () => sqs,
    now: () => sim.now().getTime(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
}
