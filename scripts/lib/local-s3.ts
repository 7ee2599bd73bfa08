import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

/** The local report bucket `npm start` and the tests write to. */
export const LOCAL_REPORT_BUCKET = 'aps-autoscaler-local-reports';

/** A real S3 API server (s3rver) on 127.0.0.1 with the report bucket. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: give it to clients as `AWS_ENDPOINT_URL_S3`, with path-style addressing. */
  endpoint: string;
  bucket: string;
  /** The environment a function needs to write its reports here. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** An S3 client for a local s3rver at `endpoint` (path-style; s3rver checks no signature). */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
}

/**
 * Starts s3rver on a free loopback port (or `port`), storing objects in a
 * fresh temporary directory (or `directory`, kept on close).
 */
export async function startLocalS3(
  options: { port?: number; directory?: string; bucket?: string } = {},
): Promise<LocalS3> {
  const bucket = options.bucket ?? LOCAL_REPORT_BUCKET;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'aps-s3-'));
  const server = new S3rver({
    port: options.port ?? 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: {
      REPORT_BUCKET: bucket,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_REGION: 'us-east-1',
      // s3rver checks no signature; the SDK only needs some key pair.
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
    },
    async close() {
      await server.close();
      if (options.directory === undefined) rmSync(directory, { recursive: true, force: true });
    },
  };
}
