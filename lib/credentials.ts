import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import * as z from 'zod';
import type { CredentialSource, Credentials } from './config.ts';
import { AutoscalerError } from './errors.ts';
import { formatIssues } from './validation.ts';

/** The Huawei key pair, read when asked; cached by the provider for its configured time. */
export interface CredentialsProvider {
  get(): Promise<Credentials>;
}

/** The key pair could not be read from SSM or Secrets Manager. Names the source, never a value. */
export class CredentialsError extends AutoscalerError {
  override readonly name = 'CredentialsError';
}

/** A Secrets Manager secret holding the key pair: `{"ak": "…", "sk": "…"}` (optionally `securityToken`). */
export const SecretKeyPairSchema = z.object({
  ak: z.string().trim().min(1),
  sk: z.string().trim().min(1),
  securityToken: z.string().trim().min(1).optional(),
});

export interface CreateCredentialsProviderOptions {
  /** Seconds a value read is reused before it is read again (a rotated key is seen after this). */
  cacheSeconds: number;
  /** The SSM provider; default: a Powertools SSMProvider, created on first use. */
  ssm?: () => Promise<Pick<SSMProvider, 'get'>>;
  /** The Secrets Manager provider; default: a Powertools SecretsProvider, created on first use. */
  secrets?: () => Promise<Pick<SecretsProvider, 'get'>>;
}

function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    made ??= make();
    return made;
  };
}

/** The AWS error name and message of a failed read; SDK messages name the parameter, not its value. */
function causeOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? error.cause : error;
    return `${cause.name}: ${cause.message}`;
  }
  return String(error);
}

/**
 * Reads the Huawei key pair from where `source` says: the environment as is,
 * SSM SecureString parameters (decrypted), or one Secrets Manager secret.
 * Values are cached for `cacheSeconds` so a rotated key is used without a
 * deploy. Errors name the parameter or secret and the AWS error, never a value.
 */
export function createCredentialsProvider(
  source: CredentialSource,
  options: CreateCredentialsProviderOptions,
): CredentialsProvider {
  const maxAge = options.cacheSeconds;
  if (source.kind === 'env') {
    const { credentials } = source;
    return { get: async () => credentials };
  }
  if (source.kind === 'ssm') {
    const ssm = options.ssm ?? once(defaultSsm);
    const read = async (name: string): Promise<string> => {
      let value: unknown;
      try {
        value = await (await ssm()).get(name, { decrypt: true, maxAge });
      } catch (error) {
        throw new CredentialsError(`reading SSM parameter ${name} failed: ${causeOf(error)}`, {
          cause: error,
        });
      }
      if (typeof value !== 'string' || value.trim() === '') {
        throw new CredentialsError(`SSM parameter ${name} is missing or empty`);
      }
      return value.trim();
    };
    return {
      async get() {
        const [ak, sk] = await Promise.all([
          'value' in source.ak ? source.ak.value : read(source.ak.parameter),
          read(source.skParameter),
        ]);
        return { ak, sk, securityToken: source.securityToken };
      },
    };
  }
  const secrets = options.secrets ?? once(defaultSecrets);
  const { secretId } = source;
  return {
    async get() {
      let value: unknown;
      try {
        value = await (await secrets()).get(secretId, { maxAge });
      } catch (error) {
        throw new CredentialsError(`reading secret ${secretId} failed: ${causeOf(error)}`, {
          cause: error,
        });
      }
      if (typeof value !== 'string') {
        throw new CredentialsError(`secret ${secretId} has no SecretString`);
      }
      let json: unknown;
      try {
        json = JSON.parse(value);
      } catch {
        // JSON.parse messages quote the text: say only that it is not JSON.
        throw new CredentialsError(`secret ${secretId} is not JSON such as {"ak":"…","sk":"…"}`);
      }
      const parsed = SecretKeyPairSchema.safeParse(json);
      if (!parsed.success) {
        throw new CredentialsError(
          `secret ${secretId} does not hold a key pair: ${formatIssues(parsed.error.issues)}`,
        );
      }
      return {
        ak: parsed.data.ak,
        sk: parsed.data.sk,
        securityToken: parsed.data.securityToken,
      };
    },
  };
}

async function defaultSsm(): Promise<Pick<SSMProvider, 'get'>> {
  const { SSMProvider } = await import('@aws-lambda-powertools/parameters/ssm');
  return new SSMProvider();
}

async function defaultSecrets(): Promise<Pick<SecretsProvider, 'get'>> {
  const { SecretsProvider } = await import('@aws-lambda-powertools/parameters/secrets');
  return new SecretsProvider();
}
