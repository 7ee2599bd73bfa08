import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './bundle.ts';

const serverlessYml = () => readFileSync(join(ROOT, 'serverless.yml'), 'utf8');

/** One `name: value` (an integer, quoted or not) at its first place in serverless.yml, or a clear error. */
function integerSetting(yaml: string, name: string): number {
  const match = new RegExp(`^\\s+${name}:\\s*'?(\\d+)'?\\s*$`, 'm').exec(yaml);
  if (match === null)
    throw new Error(`serverless.yml: no integer ${name} (bench/lib/serverless-settings.ts)`);
  return Number(match[1]);
}

/** The sweep function's timeout, seconds: serverless.yml's `custom.sweepTimeoutSeconds`. */
export function sweepTimeoutSeconds(yaml = serverlessYml()): number {
  return integerSetting(yaml, 'sweepTimeoutSeconds');
}

/** The drain period a stage gets unless it sets its own, seconds: the default `params` value `drainSeconds`. */
export function deployedDrainSeconds(yaml = serverlessYml()): number {
  return integerSetting(yaml, 'drainSeconds');
}

/**
 * The functions' NODE_OPTIONS in serverless.yml (`--enable-source-maps`:
 * stacks name the source files through the bundle's linked source map), the
 * same in every stage's environment, or a clear error.
 */
export function deployedNodeOptions(yaml = serverlessYml()): string {
  const values = new Set([...yaml.matchAll(/^\s+NODE_OPTIONS:\s*(.+?)\s*$/gm)].map((m) => m[1]));
  const [value] = values;
  if (values.size !== 1 || value === undefined)
    throw new Error(
      `serverless.yml: expected one NODE_OPTIONS for every stage, found ${values.size === 0 ? 'none' : [...values].join(' | ')} (bench/lib/serverless-settings.ts)`,
    );
  return value;
}
