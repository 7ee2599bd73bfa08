import { createHash } from 'node:crypto';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import { toSdkDate } from '../../sim/clock.ts';

export interface SignerOptions {
  /** `http://127.0.0.1:port` */
  baseUrl: string;
  ak: string;
  sk: string;
  /** Sent as X-Project-Id (signed) when set. */
  projectId?: string | undefined;
  securityToken?: string | undefined;
  /** The signing clock; default the wall clock. Pass the simulator's virtual now. */
  now?: (() => Date) | undefined;
}

export interface SignedRequest {
  method?: string;
  /** Path as sent, e.g. `/v1/{project}/app-servers`. */
  path: string;
  /** Values are sent RFC 3986-encoded; arrays repeat the key. */
  query?: Record<string, string | number | boolean | readonly string[]> | undefined;
  /** Serialised once with JSON.stringify; the official signer hashes the same string. */
  json?: object | undefined;
  /** A raw body (e.g. invalid JSON); signed through X-Sdk-Content-Sha256. */
  body?: string | undefined;
  /** Extra headers, signed with the rest. */
  headers?: Record<string, string> | undefined;
  /** Overrides the signing instant (clock-skew tests). */
  date?: Date | undefined;
}

export interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

/** RFC 3986 encoding, as the reference requires on the wire. */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Builds the URL, body and headers of a request signed by the official Huawei signer. */
export function signRequest(options: SignerOptions, request: SignedRequest): PreparedRequest {
  const method = (request.method ?? 'GET').toUpperCase();
  const queryParams: Record<string, string | string[]> = {};
  const pairs: string[] = [];
  for (const [key, raw] of Object.entries(request.query ?? {})) {
    const values = Array.isArray(raw) ? [...(raw as readonly string[])] : [String(raw)];
    queryParams[key] = values.length === 1 ? (values[0] as string) : values;
    for (const v of values) pairs.push(`${encodeRfc3986(key)}=${encodeRfc3986(v)}`);
  }
  const body =
    request.body ?? (request.json === undefined ? undefined : JSON.stringify(request.json));
  const headers: Record<string, string> = {
    'X-Sdk-Date': toSdkDate((request.date ?? options.now?.() ?? new Date()).getTime()),
    ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...(options.projectId !== undefined ? { 'X-Project-Id': options.projectId } : {}),
    ...(options.securityToken !== undefined ? { 'X-Security-Token': options.securityToken } : {}),
    ...(request.body !== undefined
      ? { 'X-Sdk-Content-Sha256': createHash('sha256').update(request.body).digest('hex') }
      : {}),
    ...request.headers,
  };
  const credentials = new BasicCredentials().withAk(options.ak).withSk(options.sk);
  const signed = AKSKSigner.sign(
    {
      method,
      endpoint: `${options.baseUrl}${request.path}`,
      queryParams,
      headers,
      ...(request.json !== undefined && request.body === undefined ? { data: request.json } : {}),
    },
    credentials,
  ) as Record<string, string>;
  // fetch sets Host itself, to the same host:port the signer used.
  const { host: _host, ...sent } = signed;
  const query = pairs.length > 0 ? `?${pairs.join('&')}` : '';
  return { method, url: `${options.baseUrl}${request.path}${query}`, headers: sent, body };
}

/** A fetch that signs each request with the official Huawei SDK signer. */
export function createSignedFetch(
  options: SignerOptions,
): (request: SignedRequest) => Promise<Response> {
  return (request) => {
    const prepared = signRequest(options, request);
    return fetch(prepared.url, {
      method: prepared.method,
      headers: prepared.headers,
      ...(prepared.body !== undefined ? { body: prepared.body } : {}),
    });
  };
}
