import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { parseSdkDate } from './clock.ts';

const ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

function bodyHash(body: Buffer): string {
  return body.length === 0 ? EMPTY_BODY_SHA256 : createHash('sha256').update(body).digest('hex');
}
const MAX_SKEW_MS = 15 * 60 * 1000;

// The official Node SDK keeps its canonicalisation steps protected; a subclass
// exposes them so the simulator recomputes signatures with Huawei's own code,
// independent of the project's signer.
class OfficialCanonicaliser extends AKSKSigner {
  static canonicalRequest(input: {
    method: string;
    path: string;
    query: Record<string, string | string[]>;
    headers: Record<string, string>;
    signedHeaderNames: string;
    payloadHash: string;
  }): string {
    return OfficialCanonicaliser.buildCanonicalRequest(
      input.method,
      OfficialCanonicaliser.CanonicalURI(input.path),
      OfficialCanonicaliser.CanonicalQueryString({ queryParams: input.query }),
      OfficialCanonicaliser.buildCanonicalHeaders(input.headers),
      input.signedHeaderNames,
      input.payloadHash,
    );
  }

  static signature(sk: string, sdkDate: string, canonicalRequest: string): string {
    const stringToSign = OfficialCanonicaliser.getStringToSign(
      ALGORITHM,
      sdkDate,
      OfficialCanonicaliser.Hex(canonicalRequest),
    );
    return OfficialCanonicaliser.hmacSHA256(sk, stringToSign);
  }
}

/** A request as received on the wire. */
export interface ReceivedRequest {
  method: string;
  /** The path as sent (percent-encoded), without the query. */
  rawPath: string;
  /** The query as sent, without `?`. */
  rawQuery: string;
  /** `parseRawQuery(rawQuery)`, when the caller has it already. */
  query?: ReadonlyMap<string, readonly string[]> | undefined;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AuthSettings {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
  projectId: string;
  /** The simulator's virtual now, epoch milliseconds. */
  now: number;
}

export type AuthResult =
  | { ok: true; signatureOk: true }
  | {
      ok: false;
      signatureOk: boolean;
      status: 401 | 403;
      code: string;
      message: string;
    };

/** Decodes a raw query into the SDK's `queryParams` shape; repeated keys become arrays. */
export function parseRawQuery(rawQuery: string): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (rawQuery === '') return params;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeURIComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(pair.slice(eq + 1));
    const values = params.get(key);
    if (values) values.push(value);
    else params.set(key, [value]);
  }
  return params;
}

/**
 * The signature the official SDK computes for this request with secret key
 * `sk` over the headers named in `signedHeaderNames` (`a;b;c`) and the exact
 * body bytes. `pathMode` `decoded` encodes the decoded path segments (the
 * reference's rule); `raw` encodes the path as sent, which is what the
 * official Node SDK does (its `%20` becomes `%2520`). Throws URIError on a
 * malformed percent-encoding.
 */
export function expectedSignature(
  request: ReceivedRequest,
  sk: string,
  signedHeaderNames: string,
  sdkDate: string,
  pathMode: 'decoded' | 'raw' = 'decoded',
): string {
  const query: Record<string, string | string[]> = {};
  for (const [key, values] of request.query ?? parseRawQuery(request.rawQuery)) {
    query[key] = values.length === 1 ? (values[0] as string) : [...values];
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaderNames.split(';')) {
    const value = request.headers[name];
    headers[name] = Array.isArray(value) ? value.join(',') : (value ?? '');
  }
  const path =
    pathMode === 'raw'
      ? request.rawPath
      : request.rawPath.split('/').map(decodeURIComponent).join('/');
  const canonical = OfficialCanonicaliser.canonicalRequest({
    method: request.method.toUpperCase(),
    path,
    query,
    headers,
    signedHeaderNames,
    payloadHash: bodyHash(request.body),
  });
  return OfficialCanonicaliser.signature(sk, sdkDate, canonical);
}

const AUTHORIZATION =
  /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-fA-F]+)$/;

function reject(message: string, signatureOk = false): AuthResult {
  return { ok: false, signatureOk, status: 401, code: 'APIGW.0301', message };
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * Checks an AK/SK-signed request like the API gateway: the Authorization
 * header, the access key, the signature over the exact bytes received, the
 * X-Sdk-Date within 15 minutes of the virtual clock, the security token when
 * one is configured, then the project id of the path and of X-Project-Id.
 */
export function authenticate(
  request: ReceivedRequest,
  pathProjectId: string,
  settings: AuthSettings,
): AuthResult {
  const authorization = header(request.headers, 'authorization');
  if (authorization === undefined) {
    return reject(
      request.headers['x-auth-token'] !== undefined
        ? 'token authentication is not supported by the simulator; sign with AK/SK'
        : 'missing Authorization header',
    );
  }
  const parts = AUTHORIZATION.exec(authorization.trim());
  if (!parts) return reject(`Authorization header is not ${ALGORITHM}`);
  const [, access, signedHeaderNames, signature] = parts as unknown as [
    string,
    string,
    string,
    string,
  ];
  if (access !== settings.ak) return reject('unknown access key');
  const signed = signedHeaderNames.split(';');
  if (!signed.includes('host') || !signed.includes('x-sdk-date')) {
    return reject('SignedHeaders must include host and x-sdk-date');
  }
  for (const name of signed) {
    if (request.headers[name] === undefined) return reject(`signed header ${name} is missing`);
  }
  const sdkDate = header(request.headers, 'x-sdk-date') ?? '';
  const signedAt = parseSdkDate(sdkDate);
  if (signedAt === undefined) return reject('X-Sdk-Date is not YYYYMMDDTHHMMSSZ');
  if (Math.abs(signedAt - settings.now) > MAX_SKEW_MS) {
    return reject(
      `X-Sdk-Date ${sdkDate} is more than 15 minutes from the server time ${new Date(settings.now).toISOString()}`,
    );
  }
  const token = header(request.headers, 'x-security-token');
  if (settings.securityToken !== undefined) {
    if (token !== settings.securityToken || !signed.includes('x-security-token')) {
      return reject('missing, unsigned or wrong X-Security-Token');
    }
  } else if (token !== undefined) {
    return reject('X-Security-Token sent with a permanent access key');
  }
  const contentSha = header(request.headers, 'x-sdk-content-sha256');
  if (contentSha !== undefined && contentSha !== bodyHash(request.body)) {
    return reject('X-Sdk-Content-Sha256 does not match the body');
  }
  const matches = (mode: 'decoded' | 'raw'): boolean => {
    const a = Buffer.from(
      expectedSignature(request, settings.sk, signedHeaderNames, sdkDate, mode),
    );
    const b = Buffer.from(signature.toLowerCase());
    return a.length === b.length && timingSafeEqual(a, b);
  };
  try {
    // Signers disagree on escaped path characters: accept either reading.
    if (!matches('decoded') && !(request.rawPath.includes('%') && matches('raw'))) {
      return reject('signature mismatch');
    }
  } catch {
    return reject('malformed percent-encoding in the request URI');
  }
  const headerProject = header(request.headers, 'x-project-id');
  if (pathProjectId !== settings.projectId || (headerProject ?? pathProjectId) !== pathProjectId) {
    return {
      ok: false,
      signatureOk: true,
      status: 403,
      code: 'APIGW.0302',
      message: 'the request is not authorized for this project',
    };
  }
  return { ok: true, signatureOk: true };
}
