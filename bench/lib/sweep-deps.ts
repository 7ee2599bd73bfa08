import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { HandlerDeps } from '../../functions/runtime.ts';
import { loadSettings } from '../../lib/config.ts';
import { createCredentialsProvider } from '../../lib/credentials.ts';
import type { Transport } from '../../lib/huawei/transport.ts';

/** Where the simulator listens and the keys it accepts. */
export interface SimTarget {
  url: string;
  projectId: string;
  ak: string;
  sk: string;
}

/**
 * A Powertools logger that formats every line as on Lambda (the JSON
 * serialisation is part of the measured cost) and then drops it, counting.
 */
export function discardingLogger(): { logger: Logger; lines: () => number } {
  let count = 0;
  const logger = new Logger({ serviceName: 'aps-autoscaler', logLevel: 'INFO' });
  const sink = (): void => {
    count += 1;
  };
  // Powertools writes through its own console object; replace it.
  const target = logger as unknown as { console: Record<string, (line: unknown) => void> };
  target.console = { log: sink, info: sink, warn: sink, error: sink, debug: sink, trace: sink };
  return { logger, lines: () => count };
}

/**
 * Sweep-handler dependencies aimed at a simulator on the real clock: its
 * endpoints and keys, the wall clock, a discarding logger, and an SQS client
 * made only if something asks (inline sweeps never do). `env` overrides the
 * configuration variables; `transport` replaces the HTTP core's default one.
 */
export function benchDeps(
  target: SimTarget,
  env: Record<string, string>,
  transport?: Transport,
): HandlerDeps {
  const settings = loadSettings({
    HUAWEICLOUD_SDK_AK: target.ak,
    HUAWEICLOUD_SDK_SK: target.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: target.projectId,
    APS_ENDPOINT: target.url,
    ECS_ENDPOINT: target.url,
    // No drain table unless the caller names one (bench/lib/deployed-sweep.ts does, with DRAIN_SECONDS=10).
    DRAIN_SECONDS: '0',
    ...env,
  });
  let sqs: SQSClient | undefined;
  return {
    settings: () => settings,
    credentials: () => createCredentialsProvider(settings.credentialSource, { cacheSeconds: 0 }),
    logger: discardingLogger().logger,
    sqs: async () => {
      // Loaded on first use, as the handlers do: inline sweeps never pay for the SDK.
      const { SQSClient } = await import('@aws-sdk/client-sqs');
      sqs ??= new SQSClient({
        region: 'us-east-1',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      });
      return sqs;
    },
    now: Date.now,
    ...(transport ? { transport } : {}),
  };
}
