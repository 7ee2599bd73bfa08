import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import {
  LOCAL_STAGE_PORTS,
  PortInUseError,
  startLocalCloud,
} from '../../../scripts/lib/local-cloud.ts';
import { DEAD_LETTER_QUEUE, REMEDIATION_QUEUE } from '../../../sim/local-sqs.ts';
import { listening } from '../../helpers/ports.ts';

describe('startLocalCloud', () => {
  it('starts the simulator, SQS with both queues, S3 and DynamoDB with the drain table, and stops them all', async () => {
    const cloud = await startLocalCloud({ sim: { port: 0 } });
    const ports = Object.values(cloud.ports);
    try {
      expect((await fetch(`${cloud.sim.url}/_sim/state`)).status).toBe(200);
      for (const queue of [REMEDIATION_QUEUE, DEAD_LETTER_QUEUE]) {
        const { QueueUrl } = await cloud.sqs.client.send(
          new GetQueueUrlCommand({ QueueName: queue }),
        );
        expect(QueueUrl).toContain(cloud.sqs.endpoint);
      }
      const { TableNames } = await cloud.dynamo.client.send(new ListTablesCommand({}));
      expect(TableNames).toEqual([cloud.dynamo.tableName]);
      expect(cloud.env).toMatchObject({
        APS_ENDPOINT: cloud.sim.url,
        AWS_ENDPOINT_URL_SQS: cloud.sqs.endpoint,
        AWS_ENDPOINT_URL_S3: cloud.s3.endpoint,
        AWS_ENDPOINT_URL_DYNAMODB: cloud.dynamo.endpoint,
        HUAWEICLOUD_SDK_PROJECT_ID: cloud.sim.projectId,
      });
      // None is on the stage's port, so every endpoint is an override to pass.
      expect(Object.keys(cloud.stageOverrides).sort()).toEqual(
        [
          'APS_ENDPOINT',
          'AWS_ENDPOINT_URL_DYNAMODB',
          'AWS_ENDPOINT_URL_S3',
          'AWS_ENDPOINT_URL_SQS',
          'DEAD_LETTER_QUEUE_URL',
          'ECS_ENDPOINT',
          'REMEDIATION_QUEUE_URL',
        ].sort(),
      );
    } finally {
      await cloud.close();
    }
    expect(await Promise.all(ports.map(listening))).toEqual(ports.map(() => false));
  });

  it.each([
    ['sqsPort', 'local SQS', '--sqs-port'],
    ['s3Port', 'local S3', '--s3-port'],
    ['dynamodbPort', 'local DynamoDB', '--dynamodb-port'],
  ] as const)(
    'names the part and its flag when the %s is taken, and leaves nothing it started listening',
    async (option, name, flag) => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
      const port = (taken.address() as AddressInfo).port;
      try {
        const simPort = await new Promise<number>((resolve) => {
          const probe = createServer().listen(0, '127.0.0.1', () => {
            const free = (probe.address() as AddressInfo).port;
            probe.close(() => resolve(free));
          });
        });
        const started = startLocalCloud({ sim: { port: simPort }, [option]: port });
        await expect(started).rejects.toThrow(PortInUseError);
        await expect(started).rejects.toThrow(
          `port ${port} for ${name} is in use (another npm run sim?): stop it, or pass ${flag} N`,
        );
        expect(await listening(simPort)).toBe(false);
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    },
  );

  it('uses the ports the local stage of serverless.yml points at', () => {
    const yml = readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8');
    const port = (name: string) =>
      Number(new RegExp(`${name}: http://127\\.0\\.0\\.1:(\\d+)`).exec(yml)?.[1]);
    expect({
      sim: port('APS_ENDPOINT'),
      sqs: port('AWS_ENDPOINT_URL_SQS'),
      s3: port('AWS_ENDPOINT_URL_S3'),
      dynamodb: port('AWS_ENDPOINT_URL_DYNAMODB'),
    }).toEqual(LOCAL_STAGE_PORTS);
  });
});
