import 'aws-sdk-client-mock-vitest/extend';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSweepHandler } from '../../../functions/sweep.ts';
import { fakeContext, loadEvent } from '../../../scripts/lib/lambda.ts';
import type { Simulator } from '../../../sim/server.ts';
import {
  capturingLogger,
  capturingMetrics,
  depsFor,
  mutatingCalls,
  startFrozenSimulator,
} from '../../helpers/stack.ts';

// The key pair read at run time (SSM SecureString through Powertools
// Parameters, the deployed path): the SSM API is mocked, the Huawei side is
// the simulator over real HTTP.

const AK_PARAMETER = '/aps-autoscaler/test/huaweicloud-ak';
const SK_PARAMETER = '/aps-autoscaler/test/huaweicloud-sk';

describe('sweep with the key pair read from SSM', () => {
  let sim: Simulator;
  const ssm = mockClient(SSMClient);
  let stored: { ak: string; sk: string };

  beforeEach(async () => {
    sim = await startFrozenSimulator();
    stored = { ...sim.credentials };
    ssm.reset();
    ssm.on(GetParameterCommand).callsFake((input: { Name?: string; WithDecryption?: boolean }) => {
      if (input.WithDecryption !== true) throw new Error('read without decryption');
      if (input.Name === AK_PARAMETER) return { Parameter: { Name: input.Name, Value: stored.ak } };
      if (input.Name === SK_PARAMETER) return { Parameter: { Name: input.Name, Value: stored.sk } };
      const error = new Error(`Parameter ${input.Name} not found.`);
      error.name = 'ParameterNotFound';
      throw error;
    });
  });
  afterEach(async () => {
    await sim.close();
  });

  function handlerWith(env: Record<string, string>) {
    const { logger, logs } = capturingLogger();
    const { metrics, emf } = capturingMetrics();
    const deps = depsFor(sim, {
      logger,
      metrics,
      env: {
        HUAWEICLOUD_SDK_AK_PARAMETER: AK_PARAMETER,
        HUAWEICLOUD_SDK_SK_PARAMETER: SK_PARAMETER,
        ...env,
      },
    });
    // Only parameter names: the deployed environment holds no key.
    expect(deps.settings().credentialSource).toMatchObject({ kind: 'ssm' });
    const handler = createSweepHandler(deps);
    const run = () =>
      handler(
        loadEvent('schedule.json'),
        fakeContext({ remainingMs: 60_000, now: () => sim.now().getTime() }),
      );
    return { run, logs, emf };
  }

  it('sweeps with the decrypted key pair and never writes it to logs, metrics, report or error', async () => {
    sim.setFaults({ seed: 5, routes: { '*': { error500: 0.2 } } });
    const { run, logs, emf } = handlerWith({ FAIL_ON_ERRORS: 'true' });
    const outcome = await run().then(
      (report) => JSON.stringify(report),
      (error: Error) => `${error.name}: ${error.message}\n${error.stack}`,
    );
    expect(ssm).toReceiveCommandWith(GetParameterCommand, {
      Name: SK_PARAMETER,
      WithDecryption: true,
    });
    expect(sim.calls.some((c) => c.status === 200)).toBe(true);
    expect(logs.raw.length).toBeGreaterThan(5);
    const text = [...logs.raw, JSON.stringify(emf), outcome].join('\n');
    expect(text).not.toContain(stored.sk);
    expect(text).not.toContain(stored.ak);
  });

  it('picks up a rotated key at the next invocation once the cache expires, without new deps', async () => {
    stored = { ak: sim.credentials.ak, sk: 'an-old-secret-key-that-was-rotated-out' };
    const { run, logs } = handlerWith({ CREDENTIALS_CACHE_SECONDS: '0' });
    const before = await run();
    expect(before.status).toBe('partial');
    expect(before.errors[0]?.error).toMatch(/401 APIGW\.0301/);
    expect(mutatingCalls(sim)).toEqual([]);
    expect(logs.raw.join('\n')).not.toContain(stored.sk);

    stored = { ...sim.credentials };
    const after = await run();
    expect(after.status).toBe('completed');
    expect(after.totals.outcomes.removed).toBe(2); // the third, srv-fl-idle-b, is in no ECS group;
  });

  it('fails the invocation with an ERROR naming the parameter when SSM cannot give the key', async () => {
    const { run, logs } = handlerWith({
      HUAWEICLOUD_SDK_SK_PARAMETER: '/aps-autoscaler/test/gone',
    });
    await expect(run()).rejects.toThrow(
      /reading SSM parameter \/aps-autoscaler\/test\/gone failed: ParameterNotFound/,
    );
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        level: 'ERROR',
        message: 'key pair not read',
        source: 'ssm',
        error: expect.stringContaining('/aps-autoscaler/test/gone'),
      }),
    );
    expect(sim.calls).toEqual([]);
  });
});
