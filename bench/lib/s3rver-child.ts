import { startLocalS3 } from '../../scripts/lib/local-s3.ts';

// s3rver in a process of its own, started with --openssl-legacy-provider by
// bench/lib/history-compaction.ts: s3rver 3.7.1 makes ListObjectsV2
// continuation tokens with DES, which Node's OpenSSL 3 only has there, so a
// listing of more than 1,000 keys fails in a plain process (HTTP 500).
const s3 = await startLocalS3();
process.send?.({ endpoint: s3.endpoint, bucket: s3.bucket });
process.on('disconnect', () => {
  void s3.close().then(() => process.exit(0));
});
