import { createServer } from 'node:net';
import { type LocalSqs, startLocalSqs } from '../../sim/local-sqs.ts';
import { type Simulator, type StartSimulatorOptions, startSimulator } from '../../sim/server.ts';
import { type LocalDynamoDb, startLocalDynamoDb } from './local-dynamodb.ts';
import { type LocalS3, startLocalS3 } from './local-s3.ts';

/**
 * The ports the `local` stage of serverless.yml points at
 * (test/unit/scripts/local-cloud.test.ts checks they match).
 */
export const LOCAL_STAGE_PORTS = { sim: 8787, sqs: 9324, s3: 4569, dynamodb: 8000 } as const;

export type LocalCloudPart = keyof typeof LOCAL_STAGE_PORTS;

/** What each part is called and the `npm run sim` flag that moves it. */
export const LOCAL_CLOUD_PARTS: Record<LocalCloudPart, { name: string; flag: string }> = {
  sim: { name: 'the simulator', flag: '--port' },
  sqs: { name: 'local SQS', flag: '--sqs-port' },
  s3: { name: 'local S3', flag: '--s3-port' },
  dynamodb: { name: 'local DynamoDB', flag: '--dynamodb-port' },
};

export interface LocalCloudOptions {
  /** The simulator's options; its `port` is the simulator's port. */
  sim?: StartSimulatorOptions;
  /** 0 picks a free port; each defaults to 0. */
  sqsPort?: number;
  s3Port?: number;
  dynamodbPort?: number;
}

/** Everything the `local` stage points at, each on 127.0.0.1. */
export interface LocalCloud {
  sim: Simulator;
  sqs: LocalSqs;
  s3: LocalS3;
  dynamo: LocalDynamoDb;
  /** The variables that point a function at these servers (`invoke local -e NAME=value`). */
  env: Record<string, string>;
  /** Where each part listens. */
  ports: Record<LocalCloudPart, number>;
  /** The endpoint variables of the parts not on the `local` stage's port: what `-e` must pass. */
  stageOverrides: Record<string, string>;
  /** Stops every part; nothing is left listening. */
  close(): Promise<void>;
}

/** A port that is taken, in words that say which part and how to move it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(part: LocalCloudPart, port: number) {
    const { name, flag } = LOCAL_CLOUD_PARTS[part];
    super(`port ${port} for ${name} is in use (another npm run sim?): stop it, or pass ${flag} N`);
  }
}

/**
 * Rejects (EADDRINUSE) when `port` is taken. Checked before each part
 * starts: s3rver and local-aws-sqs never report their listen error (one
 * hangs, the other throws it uncaught).
 */
function assertFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve()));
  });
}

async function startPart<T>(part: LocalCloudPart, port: number, start: () => Promise<T>) {
  try {
    if (port !== 0) await assertFree(port);
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(part, port);
    }
    throw error;
  }
}

/**
 * Starts the simulator, local SQS (remediation queue and its dead-letter
 * queue), local S3 (s3rver, the report bucket) and local DynamoDB (dynalite,
 * the drain table) on 127.0.0.1. A part that cannot start stops the ones
 * already running, and a taken port throws PortInUseError.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  try {
    const sim = await startPart('sim', options.sim?.port ?? 0, () =>
      startSimulator(options.sim ?? {}),
    );
    stops.push(() => sim.close());
    const sqs = await startPart('sqs', options.sqsPort ?? 0, () =>
      startLocalSqs({ port: options.sqsPort ?? 0 }),
    );
    stops.push(() => sqs.close());
    const s3 = await startPart('s3', options.s3Port ?? 0, () =>
      startLocalS3({ port: options.s3Port ?? 0 }),
    );
    stops.push(() => s3.close());
    const dynamo = await startPart('dynamodb', options.dynamodbPort ?? 0, () =>
      startLocalDynamoDb({ port: options.dynamodbPort ?? 0 }),
    );
    stops.push(() => dynamo.close());
    const endpoints: Record<LocalCloudPart, Record<string, string>> = {
      sim: { APS_ENDPOINT: sim.url, ECS_ENDPOINT: sim.url },
      sqs: {
        REMEDIATION_QUEUE_URL: sqs.remediationQueueUrl,
        DEAD_LETTER_QUEUE_URL: sqs.deadLetterQueueUrl,
        AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      },
      s3: { AWS_ENDPOINT_URL_S3: s3.endpoint },
      dynamodb: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
    };
    const ports: Record<LocalCloudPart, number> = {
      sim: sim.port,
      sqs: Number(new URL(sqs.endpoint).port),
      s3: Number(new URL(s3.endpoint).port),
      dynamodb: Number(new URL(dynamo.endpoint).port),
    };
    const env = {
      ...s3.env,
      ...Object.assign({}, ...Object.values(endpoints)),
      HUAWEICLOUD_SDK_PROJECT_ID: sim.projectId,
      DRAIN_TABLE_NAME: dynamo.tableName,
    };
    const stageOverrides = Object.assign(
      {},
      ...Object.entries(endpoints)
        .filter(
          ([part]) => ports[part as LocalCloudPart] !== LOCAL_STAGE_PORTS[part as LocalCloudPart],
        )
        .map(([, vars]) => vars),
    );
    return { sim, sqs, s3, dynamo, ports, env, stageOverrides, close };
  } catch (error) {
    await close();
    throw error;
  }
}
