import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../lib/config.ts';
import {
  defaultOf,
  lowerCamelCase,
  NOT_STAGE_PARAMETERS,
  STAGE_PARAMETERS,
} from '../../lib/config-parameters.ts';
import { paramsOfVariables, problemsOfArguments } from '../../scripts/lib/stage-validation.ts';

const yml = readFileSync(new URL('../../serverless.yml', import.meta.url), 'utf8');

describe('stage parameters', () => {
  it('names each as its variable in lowerCamelCase', () => {
    expect(lowerCamelCase('MIN_SERVERS_PER_GROUP')).toBe('minServersPerGroup');
    expect(lowerCamelCase('REMOVAL_MODE')).toBe('removalMode');
    expect(lowerCamelCase('HTTP_TIMEOUT_MS')).toBe('httpTimeoutMs');
  });

  it('makes every variable of the config schema a stage parameter unless the stack sets it', () => {
    for (const variable of Object.keys(NOT_STAGE_PARAMETERS)) {
      expect(CONFIG_VARIABLES).toContain(variable);
    }
    const parameters = STAGE_PARAMETERS.map((p) => p.variable);
    for (const variable of CONFIG_VARIABLES) {
      expect(parameters.includes(variable) !== variable in NOT_STAGE_PARAMETERS, variable).toBe(
        true,
      );
    }
  });

  it.each(STAGE_PARAMETERS.map((p) => [p.variable, p.parameter] as const))(
    'serverless.yml sets %s from --param %s in every deployed stage, with a default',
    (variable, parameter) => {
      expect(paramsOfVariables(yml).get(variable)).toBe(parameter);
      expect(problemsOfArguments([`${parameter}=x`], yml)).toEqual([]);
    },
  );

  it('reads each default from the schema itself', () => {
    expect(defaultOf('MIN_SERVERS_PER_GROUP')).toBe(1);
    expect(defaultOf('REMOVAL_MODE')).toBe('remove-member');
    expect(defaultOf('DRY_RUN')).toBe(false);
    expect(defaultOf('LOGOFF_DISCONNECTED_AFTER_MINUTES')).toBeUndefined();
  });
});
