import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSettings } from '../../lib/config.ts';
import { CredentialsError, createCredentialsProvider } from '../../lib/credentials.ts';

const SK = 'SKrotatingSecretThatMustNeverAppear000001';
const SK2 = 'SKrotatedSecretThatMustNeverAppear0000002';
const AK = 'AKRUNTIMETEST0000001';

const ssmMock = mockClient(SSMClient);
const secretsMock = mockClient(SecretsManagerClient);
const clientOptions = {
  region: 'eu-west-1',
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
};
const ssm = async () => new SSMProvider({ clientConfig: clientOptions });
const secrets = async () => new SecretsProvider({ clientConfig: clientOptions });

function answerParameters(values: Record<string, string>) {
  ssmMock.on(GetParameterCommand).callsFake((input: { Name: string; WithDecryption?: boolean }) => {
    const value = values[input.Name];
    if (value === undefined) {
      throw new ParameterNotFound({ message: `parameter ${input.Name} not found`, $metadata: {} });
    }
    return { Parameter: { Name: input.Name, Type: 'SecureString', Value: value } };
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

beforeEach(() => {
  ssmMock.reset();
  secretsMock.reset();
});
afterEach(() => vi.useRealTimers());

describe('createCredentialsProvider', () => {
  it('returns the plain variables of the local stage as they are', async () => {
    const settings = loadSettings({
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
      DRAIN_SECONDS: '0',
    });
    const provider = createCredentialsProvider(settings.credentialSource, {
      cacheSeconds: 60,
      ssm,
    });
    expect(await provider.get()).toEqual({ ak: AK, sk: SK, securityToken: undefined });
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it('reads both SSM parameters with decryption', async () => {
    answerParameters({ '/aps/prod/ak': AK, '/aps/prod/sk': SK });
    const source = loadSettings({
      HUAWEICLOUD_SDK_AK_PARAMETER: '/aps/prod/ak',
      HUAWEICLOUD_SDK_SK_PARAMETER: '/aps/prod/sk',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
      DRAIN_SECONDS: '0',
    }).credentialSource;
    const provider = createCredentialsProvider(source, { cacheSeconds: 60, ssm });
    expect(await provider.get()).toEqual({ ak: AK, sk: SK, securityToken: undefined });
    const inputs = ssmMock.commandCalls(GetParameterCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual(
      expect.arrayContaining([
        { Name: '/aps/prod/ak', WithDecryption: true },
        { Name: '/aps/prod/sk', WithDecryption: true },
      ]),
    );
  });

  it('reuses the key pair within the cache time and picks up a rotated key after it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-29T00:00:00Z'));
    answerParameters({ '/aps/prod/sk': SK });
    const source = { kind: 'ssm', ak: { value: AK }, skParameter: '/aps/prod/sk' } as const;
    const provider = createCredentialsProvider(source, { cacheSeconds: 300, ssm: await once(ssm) });
    expect((await provider.get()).sk).toBe(SK);
    answerParameters({ '/aps/prod/sk': SK2 });
    vi.setSystemTime(new Date('2026-11-29T00:04:59Z'));
    expect((await provider.get()).sk).toBe(SK);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(1);
    vi.setSystemTime(new Date('2026-11-29T00:05:01Z'));
    expect((await provider.get()).sk).toBe(SK2);
    expect(ssmMock.commandCalls(GetParameterCommand)).toHaveLength(2);
  });

  it('names the missing parameter and the AWS error, never a value', async () => {
    answerParameters({ '/aps/prod/ak': AK });
    const source = {
      kind: 'ssm',
      ak: { parameter: '/aps/prod/ak' },
      skParameter: '/aps/prod/sk',
    } as const;
    const error = await rejection(
      createCredentialsProvider(source, { cacheSeconds: 0, ssm }).get(),
    );
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toBe(
      'reading SSM parameter /aps/prod/sk failed: ParameterNotFound: parameter /aps/prod/sk not found',
    );
  });

  it('reads a Secrets Manager secret holding {ak, sk}', async () => {
    secretsMock
      .on(GetSecretValueCommand, { SecretId: 'aps/prod/huaweicloud' })
      .resolves({ SecretString: JSON.stringify({ ak: AK, sk: SK }) });
    const source = loadSettings({
      HUAWEICLOUD_SDK_SECRET_ID: 'aps/prod/huaweicloud',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
      DRAIN_SECONDS: '0',
    }).credentialSource;
    const provider = createCredentialsProvider(source, { cacheSeconds: 60, secrets });
    expect(await provider.get()).toEqual({ ak: AK, sk: SK, securityToken: undefined });
  });

  it.each([
    ['not JSON', `ak=${AK} sk=${SK}`, 'secret aps/x is not JSON such as {"ak":"…","sk":"…"}'],
    [
      'JSON without sk',
      JSON.stringify({ ak: AK, secret: SK }),
      'secret aps/x does not hold a key pair: sk: Invalid input: expected string, received undefined',
    ],
  ])('rejects a secret that is %s without echoing it', async (_, text, message) => {
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: text });
    const error = await rejection(
      createCredentialsProvider(
        { kind: 'secrets-manager', secretId: 'aps/x' },
        { cacheSeconds: 0, secrets },
      ).get(),
    );
    expect(error.message).toBe(message);
    expect(JSON.stringify({ message: error.message, stack: error.stack })).not.toContain(SK);
  });
});

async function once<T>(make: () => Promise<T>): Promise<() => Promise<T>> {
  const made = await make();
  return async () => made;
}
