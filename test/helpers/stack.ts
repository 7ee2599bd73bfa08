import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { HandlerDeps } from '../../functions/runtime.ts';
import { loadSettings } from '../../lib/config.ts';
import { type CredentialsProvider, createCredentialsProvider } from '../../lib/credentials.ts';
import { createMetrics } from '../../lib/metrics.ts';
import {
  clientEnvOf,
  type Simulator,
  type StartSimulatorOptions,
  startSimulator,
} from '../../sim/server.ts';

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

/** A Powertools Metrics instance whose EMF lines are kept in memory (parsed). */
export function capturingMetrics(stage = 'test'): {
  metrics: Metrics;
  emf: Record<string, unknown>[];
} {
  const metrics = createMetrics({ stage });
  const emf: Record<string, unknown>[] = [];
  (metrics as unknown as { console: { log: (line: string) => void } }).console = {
    log: (line: string) => emf.push(JSON.parse(line)),
  };
  return { metrics, emf };
}

/** The values of metric `name` in EMF lines, each with its line's dimensions. */
export function emfValues(
  emf: readonly Record<string, unknown>[],
  name: string,
): { value: unknown; dimensions: Record<string, unknown> }[] {
  return emf
    .filter((line) => name in line)
    .map((line) => {
      const { _aws: _, [name]: value, ...rest } = line;
      const dimensions = Object.fromEntries(
        Object.entries(rest).filter(([, v]) => typeof v === 'string'),
      );
      return { value, dimensions };
    });
}

/** Handler dependencies pointed at `sim`: its endpoints, keys and virtual clock. */
export function depsFor(
  sim: Simulator,
  options: {
    env?: Record<string, string>;
    sqs?: SQSClient;
    logger?: Logger;
    metrics?: Metrics;
    fetch?: typeof globalThis.fetch;
    /** Replaces the key pair source (default: the simulator's pair as plain variables). */
    credentials?: CredentialsProvider;
    s3?: () => Promise<S3Client>;
  } = {},
): HandlerDeps {
  const settings = loadSettings({
    ...clientEnvOf(sim),
    HTTP_TIMEOUT_MS: '2000',
    // Remove at once unless a test drains (then it passes DRAIN_SECONDS and a table).
    DRAIN_SECONDS: '0',
    ...options.env,
  });
  const credentials =
    options.credentials ??
    createCredentialsProvider(settings.credentialSource, {
      cacheSeconds: settings.credentialsCacheSeconds,
    });
  const sqs =
    options.sqs ??
    new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const metrics = options.metrics;
  return {
    settings: () => settings,
    credentials: () => credentials,
    logger: options.logger ?? capturingLogger().logger,
    ...(metrics ? { metrics: () => metrics } : {}),
    sqs: async () => sqs,
    ...(options.s3 ? { s3: options.s3 } : {}),
    now: () => sim.now().getTime(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  };
}
