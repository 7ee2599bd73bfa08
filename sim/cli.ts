import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { exitWithParent } from './exit-with-parent.ts';
import { type StartSimulatorOptions, startSimulator } from './server.ts';

const USAGE = `usage: npm run sim -- [options]
  --port N                 listen on 127.0.0.1:N (default 8787; 0 = any free port)
  --fleet PATH             load a fleet JSON file (default events/fleets/demo.json)
  --groups N --servers-per-group M [--seed S]
                           generate a fleet instead
  --seed S                 seeds faults, request ids, job ids (and the generator)
  --project-id ID          override the fleet's project id
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

/** Parses the CLI arguments into simulator options; throws with a message on a bad value. */
export function parseCliArgs(argv: readonly string[]): StartSimulatorOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
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
  return {
    port: integer(values.port, 'port') ?? 8787,
    fleet: values.fleet,
    generate:
      groups !== undefined && perGroup !== undefined
        ? { groups, serversPerGroup: perGroup, seed: seed ?? 1 }
        : undefined,
    seed,
    projectId: values['project-id'],
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
}

async function main(): Promise<void> {
  let options: StartSimulatorOptions;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  let sim: Awaited<ReturnType<typeof startSimulator>>;
  try {
    sim = await startSimulator(options);
  } catch (error) {
    process.stderr.write(`simulator: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const info = {
    url: sim.url,
    projectId: sim.projectId,
    ak: sim.credentials.ak,
    sk: sim.credentials.sk,
    now: sim.now().toISOString(),
    groups: sim.state.groups.length,
    servers: sim.state.servers.length,
    loadSeconds: Math.round(sim.loadSeconds * 1000) / 1000,
  };
  // A forked child (bench/sim.ts) gets the details over IPC; a person reads stdout.
  if (process.send) process.send({ type: 'ready', ...info });
  else {
    process.stdout.write(
      [
        `simulator listening on ${info.url}`,
        `  APS_ENDPOINT=${info.url} ECS_ENDPOINT=${info.url}`,
        `  HUAWEICLOUD_SDK_PROJECT_ID=${info.projectId}`,
        `  HUAWEICLOUD_SDK_AK=${info.ak}`,
        `  HUAWEICLOUD_SDK_SK=${info.sk}`,
        `  virtual now ${info.now}; ${info.groups} groups, ${info.servers} servers loaded in ${info.loadSeconds}s`,
        `  admin: ${info.url}/_sim/state, /_sim/calls`,
        '',
      ].join('\n'),
    );
  }
  const stop = (): void => {
    sim.close().then(
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
