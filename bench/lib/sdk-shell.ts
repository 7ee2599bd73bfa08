import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import { EcsClient } from '@huaweicloud/huaweicloud-sdk-ecs';
import middy from '@middy/core';

// The cold-start bench's other side: the same handler shell as functions/*.ts
// (middy, the Powertools logger and its context middleware) around the
// official Huawei Cloud SDK (core + ECS) instead of lib/huawei. Bundled with
// the same esbuild settings as our handlers (bench/lib/bundle.ts); never deployed.

const logger = new Logger({ serviceName: 'aps-autoscaler' });

export const handler = middy(async () => {
  const credentials = new BasicCredentials()
    .withAk(process.env['HUAWEICLOUD_SDK_AK'] ?? '')
    .withSk(process.env['HUAWEICLOUD_SDK_SK'] ?? '')
    .withProjectId(process.env['HUAWEICLOUD_SDK_PROJECT_ID'] ?? '');
  const client = EcsClient.newBuilder()
    .withCredential(credentials)
    .withEndpoint('https://ecs.example.invalid')
    .build();
  return { ready: client !== undefined };
}).use(injectLambdaContext(logger));
