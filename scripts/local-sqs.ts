import { exitWithParent } from '../sim/exit-with-parent.ts';
import { startLocalSqs } from '../sim/local-sqs.ts';

// `npm run sqs`: the local SQS server the `local` stage expects, on 127.0.0.1:9324
// (or --port N), with the remediation queue and its dead-letter queue.
const portFlag = process.argv.indexOf('--port');
const port = portFlag >= 0 ? Number(process.argv[portFlag + 1]) : 9324;
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('usage: npm run sqs -- [--port N]');
  process.exit(2);
}
const sqs = await startLocalSqs({ port });
console.log(`local SQS listening on ${sqs.endpoint}`);
console.log(`  REMEDIATION_QUEUE_URL=${sqs.remediationQueueUrl}`);
console.log(`  DEAD_LETTER_QUEUE_URL=${sqs.deadLetterQueueUrl}`);
const stop = () => {
  void sqs.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
exitWithParent(stop);
