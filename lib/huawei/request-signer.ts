import * as crypto from 'node:crypto';
import type { Credentials } from '../config.ts';
import { EMPTY_BODY_SHA256, formatSdkDate, SIGNING_ALGORITHM, sha256Hex } from './signer.ts';

// The per-request half of SDK-HMAC-SHA256 for the one header set this
// project sends, with everything that does not change between requests
// worked out once: the sorted header names, the `SignedHeaders` list, the
// canonical header lines around the date, the HMAC key, and the date string
// of the current second. lib/huawei/signer.ts is the general signer (checked
// against the official SDK's); test/unit/huawei/request-signer.test.ts
// checks that this one produces exactly its headers for any request.

/** Node ≥ 20.12 has a one-shot `crypto.hash`; a Hash object otherwise. */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string })
  .hash;
const hashHex = oneShot ? (data: string) => oneShot('sha256', data, 'hex') : sha256Hex;

export interface CanonicalTarget {
  method: string;
  /** `host[:port]`, sent as `Host`. */
  host: string;
  /** The path in canonical RFC 3986 form (lib/huawei/signer.ts `normalizePath`). */
  path: string;
  /** The canonical query string (lib/huawei/signer.ts `buildQueryString`), `''` for none. */
  query: string;
}

export interface RequestSigner {
  /** The full header set to send: content type, project, host, date, token (if any), Authorization. */
  sign(target: CanonicalTarget, body: string, at: number): Record<string, string>;
}

/**
 * A signer for requests carrying `content-type: application/json`,
 * `X-Project-Id`, `host`, `X-Sdk-Date` and, with temporary credentials,
 * `X-Security-Token`, all signed, as lib/huawei/signer.ts `signRequest` signs them.
 */
export function createRequestSigner(credentials: Credentials, projectId: string): RequestSigner {
  const token = credentials.securityToken ? credentials.securityToken.trim() : undefined;
  // Sorted: content-type < host < x-project-id < x-sdk-date < x-security-token.
  const signedHeaders = `content-type;host;x-project-id;x-sdk-date${token ? ';x-security-token' : ''}`;
  const projectLine = `x-project-id:${projectId.trim()}\n`;
  const tail = `${token ? `x-security-token:${token}\n` : ''}\n${signedHeaders}\n`;
  const authPrefix = `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders}, Signature=`;
  const key = crypto.createSecretKey(Buffer.from(credentials.sk, 'utf8'));
  let second = Number.NaN;
  let sdkDate = '';

  return {
    sign(target, body, at) {
      const s = Math.floor(at / 1000);
      if (s !== second) {
        second = s;
        sdkDate = formatSdkDate(new Date(s * 1000));
      }
      const uri = target.path.endsWith('/') ? target.path : `${target.path}/`;
      const canonical =
        `${target.method}\n${uri}\n${target.query}\n` +
        `content-type:application/json\nhost:${target.host.trim()}\n${projectLine}` +
        `x-sdk-date:${sdkDate}\n${tail}` +
        (body === '' ? EMPTY_BODY_SHA256 : hashHex(body));
      const toSign = `${SIGNING_ALGORITHM}\n${sdkDate}\n${hashHex(canonical)}`;
      const signature = crypto.createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'X-Project-Id': projectId,
        host: target.host,
        'X-Sdk-Date': sdkDate,
      };
      if (token !== undefined) headers['X-Security-Token'] = credentials.securityToken as string;
      headers['Authorization'] = authPrefix + signature;
      return headers;
    },
  };
}
