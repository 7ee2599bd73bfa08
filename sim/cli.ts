import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  LOCAL_STAGE_PORTS,
  type LocalCloud,
  type LocalCloudOptions,
  startLocalCloud,
} from '../scripts/lib/local-cloud.ts';
import { exitWithParent } from './exit-with-parent.ts';
import { DEMO_FLEET_PATH, type Simulator, startSimulator } from './server.ts';

const USAGE = `usage: npm run sim -- [options]
Starts everything the \`local\` stage points at, each on 127.0.0.1: the simulator,
local SQS (both queues), local S3 (the report bucket) and local DynamoDB (the
drain table). Ctrl-C or a signal to npm stops them all.
  --port N                 the simulator's port (default 8787; 0 = any free port)
  --sqs-port N             local SQS (default 9324)
  --s3-port N              local S3 (default 4569)
  --dynamodb-port N        local DynamoDB (default 8000)
  --sim-only               only the simulator
  --fleet PATH             load a fleet JSON file (default events/fleets/demo.json)
  --groups N --servers-per-group M [--seed S]
                           generate a fleet instead
  --seed S                 seeds faults, request ids, job ids (and the generator)
  --project-id ID          override the fleet's project id (a generated fleet gets the
                           demo fleet's, the \`local\` stage's)
  --ak AK --sk SK [--security-token T]
                           credentials to accept (default: the simulator's fixed pair)
  --now fleet|real|ISO     where the virtual clock starts (default: real, with --rebase,
                           so functions that sign with the wall clock are accepted)
  --rebase                 shift the fleet's timestamps so its now lands on --now
  --frozen                 the virtual clock stays put until moved via POST /_sim/clock
  --faults PATH            a fault config JSON file (see sim/README.md)
  --job-seconds N          delete jobs stay RUNNING for N virtual seconds
`;

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number`);
  return n;
}

/** What `npm run sim` starts; `simOnly` leaves out the local AWS parts. */
export interface CliOptions extends LocalCloudOptions {
  sim: NonNullable<LocalCloudOptions['sim']>;
  simOnly: boolean;
}

/** The `local` stage's project id: the demo fleet's. */
function localProjectId(): string {
  return (JSON.parse(readFileSync(DEMO_FLEET_PATH, 'utf8')) as { projectId: string }).projectId;
}

/** Parses the CLI arguments; throws with a message on a bad value. */
export function parseCliArgs(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      'sqs-port': { type: 'string' },
      's3-port': { type: 'string' },
      'dynamodb-port': { type: 'string' },
      'sim-only': { type: 'boolean' },
      fleet: { type: 'string' },
      groups: { type: 'string' },
      'servers-per-group': { type: 'string' },
      seed: { type: 'string' },
      'project-id': { type: 'string' },
      ak: { type: 'string' },
      sk: { type: 'string' },
      'security-token': { type: 'string' },
      now: { type: 'string' },
      rebase: { type: 'boolean' },
      frozen: { type: 'boolean' },
      faults: { type: 'string' },
      'job-seconds': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const seed = integer(values.seed, 'seed');
  const groups = integer(values.groups, 'groups');
  const perGroup = integer(values['servers-per-group'], 'servers-per-group');
  if ((groups === undefined) !== (perGroup === undefined)) {
    throw new Error('--groups and --servers-per-group go together');
  }
  if (values.ak !== undefined && values.sk === undefined) throw new Error('--ak needs --sk');
  if (values.sk !== undefined && values.ak === undefined) throw new Error('--sk needs --ak');
  if (values['security-token'] !== undefined && values.ak === undefined) {
    throw new Error('--security-token needs --ak and --sk');
  }
  const sim = {
    port: integer(values.port, 'port') ?? LOCAL_STAGE_PORTS.sim,
    fleet: values.fleet,
    generate:
      groups !== undefined && perGroup !== undefined
        ? { groups, serversPerGroup: perGroup, seed: seed ?? 1 }
        : undefined,
    seed,
    projectId: values['project-id'] ?? (groups === undefined ? undefined : localProjectId()),
    credentials:
      values.ak !== undefined && values.sk !== undefined
        ? { ak: values.ak, sk: values.sk, securityToken: values['security-token'] }
        : undefined,
    clock:
      values.now === undefined
        ? { now: 'real', rebase: true, frozen: values.frozen }
        : { now: values.now, rebase: values.rebase, frozen: values.frozen },
    faults:
      values.faults === undefined ? undefined : JSON.parse(readFileSync(values.faults, 'utf8')),
    jobSeconds: integer(values['job-seconds'], 'job-seconds'),
  };
  return {
    sim,
    simOnly: values['sim-only'] ?? false,
    sqsPort: integer(values['sqs-port'], 'sqs-port') ?? LOCAL_STAGE_PORTS.sqs,
    s3Port: integer(values['s3-port'], 's3-port') ?? LOCAL_STAGE_PORTS.s3,
    dynamodbPort: integer(values['dynamodb-port'], 'dynamodb-port') ?? LOCAL_STAGE_PORTS.dynamodb,
  };
}

/** What a person reads once everything listens. */
function readyText(sim: Simulator, cloud: LocalCloud | undefined): string {
  const lines = [
    `simulator listening on ${sim.url}`,
    `  APS_ENDPOINT=${sim.url} ECS_ENDPOINT=${sim.url}`,
    `  HUAWEICLOUD_SDK_PROJECT_ID=${sim.projectId}`,
    `  HUAWEICLOUD_SDK_AK=${sim.credentials.ak}`,
    `  HUAWEICLOUD_SDK_SK=${sim.credentials.sk}`,
    `  virtual now ${sim.now().toISOString()}; ${sim.state.groups.length} groups, ${sim.state.servers.length} servers loaded in ${Math.round(sim.loadSeconds * 1000) / 1000}s`,
    `  admin: ${sim.url}/_sim/state, /_sim/calls`,
  ];
  if (cloud !== undefined) {
    lines.push(
      `local SQS listening on ${cloud.sqs.endpoint} (${cloud.sqs.remediationQueueUrl}, ${cloud.sqs.deadLetterQueueUrl})`,
      `local S3 listening on ${cloud.s3.endpoint} (bucket ${cloud.s3.bucket})`,
      `local DynamoDB listening on ${cloud.dynamo.endpoint} (table ${cloud.dynamo.tableName})`,
    );
    const overrides = Object.entries(cloud.stageOverrides);
    if (sim.projectId !== localProjectId()) {
      overrides.push(['HUAWEICLOUD_SDK_PROJECT_ID', sim.projectId]);
    }
    lines.push(
      overrides.length === 0
        ? 'the `local` stage reaches all of it as is: npx osls invoke local -f sweep --stage local --path events/schedule.json'
        : `the \`local\` stage needs: ${overrides.map(([k, v]) => `-e ${k}=${v}`).join(' ')}`,
    );
  }
  lines.push('Ctrl-C stops everything.', '');
  return lines.join('\n');
}

async function main(): Promise<void> {
  let options: CliOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  let sim: Simulator;
  let cloud: LocalCloud | undefined;
  try {
    if (options.simOnly) sim = await startSimulator(options.sim);
    else {
      cloud = await startLocalCloud(options);
      sim = cloud.sim;
    }
  } catch (error) {
    process.stderr.write(`npm run sim: ${(error as Error).message}\n`);
    process.exit(2);
  }
  // A forked child (bench/sim.ts) gets the details over IPC; a person reads stdout.
  if (process.send) {
    process.send({
      type: 'ready',
      url: sim.url,
      projectId: sim.projectId,
      ak: sim.credentials.ak,
      sk: sim.credentials.sk,
      now: sim.now().toISOString(),
      groups: sim.state.groups.length,
      servers: sim.state.servers.length,
      loadSeconds: Math.round(sim.loadSeconds * 1000) / 1000,
    });
  } else process.stdout.write(readyText(sim, cloud));
  const stop = (): void => {
    (cloud ?? sim).close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  exitWithParent(stop);
}

await main();
