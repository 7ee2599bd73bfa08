// Where the Huawei key pair comes from, for lib/config.ts: which variables
// must be present together, and the source the functions read it from.

export interface Credentials {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
}

/**
 * Where the Huawei key pair comes from: plain variables (the `local` stage and
 * the simulator), SSM Parameter Store (SecureString, decrypted) or a Secrets
 * Manager secret holding `{"ak": "…", "sk": "…"}`. Only names are held here.
 */
export type CredentialSource =
  | { kind: 'env'; credentials: Credentials }
  | {
      kind: 'ssm';
      /** The AK as a plain variable, or the name of the parameter holding it. */
      ak: { value: string } | { parameter: string };
      skParameter: string;
      securityToken?: string | undefined;
    }
  | { kind: 'secrets-manager'; secretId: string };

/** The variables that name the key pair or where to read it. */
export type KeyPairVariables = Partial<
  Record<
    | 'HUAWEICLOUD_SDK_AK'
    | 'HUAWEICLOUD_SDK_SK'
    | 'HUAWEICLOUD_SDK_SECURITY_TOKEN'
    | 'HUAWEICLOUD_SDK_AK_PARAMETER'
    | 'HUAWEICLOUD_SDK_SK_PARAMETER'
    | 'HUAWEICLOUD_SDK_SECRET_ID',
    string | undefined
  >
>;

const KEY_PAIR_SOURCES =
  'or read the key pair at run time with HUAWEICLOUD_SDK_SK_PARAMETER (SSM) or HUAWEICLOUD_SDK_SECRET_ID (Secrets Manager)';

/** The key pair comes from exactly one place: a secret, SSM parameters, or plain variables. */
export function keyPairProblems(present: Record<string, string>): string[] {
  if (present.HUAWEICLOUD_SDK_SECRET_ID !== undefined) return [];
  if (present.HUAWEICLOUD_SDK_SK_PARAMETER !== undefined) {
    return present.HUAWEICLOUD_SDK_AK_PARAMETER === undefined &&
      present.HUAWEICLOUD_SDK_AK === undefined
      ? [
          'HUAWEICLOUD_SDK_AK_PARAMETER: is required with HUAWEICLOUD_SDK_SK_PARAMETER (or set HUAWEICLOUD_SDK_AK)',
        ]
      : [];
  }
  return ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK']
    .filter((name) => present[name] === undefined)
    .map((name) => `${name}: is required, ${KEY_PAIR_SOURCES}`);
}

/** The source of the key pair; lib/config.ts has checked that one is complete. */
export function credentialSourceOf(e: KeyPairVariables): CredentialSource {
  const token = e.HUAWEICLOUD_SDK_SECURITY_TOKEN;
  if (e.HUAWEICLOUD_SDK_SECRET_ID !== undefined) {
    return { kind: 'secrets-manager', secretId: e.HUAWEICLOUD_SDK_SECRET_ID };
  }
  if (e.HUAWEICLOUD_SDK_SK_PARAMETER !== undefined) {
    const ak =
      e.HUAWEICLOUD_SDK_AK_PARAMETER !== undefined
        ? { parameter: e.HUAWEICLOUD_SDK_AK_PARAMETER }
        : { value: e.HUAWEICLOUD_SDK_AK ?? '' };
    return { kind: 'ssm', ak, skParameter: e.HUAWEICLOUD_SDK_SK_PARAMETER, securityToken: token };
  }
  return {
    kind: 'env',
    credentials: {
      ak: e.HUAWEICLOUD_SDK_AK ?? '',
      sk: e.HUAWEICLOUD_SDK_SK ?? '',
      securityToken: token,
    },
  };
}
