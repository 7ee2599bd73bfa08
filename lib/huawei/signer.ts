import { createHash, createHmac } from 'node:crypto';
import type { Credentials } from '../config.ts';

// SDK-HMAC-SHA256, the scheme of the official Huawei Cloud SDKs (the
// @huaweicloud/huaweicloud-sdk-core signer, which test/unit/huawei/signer.test.ts
// checks this one against).
// Both the URI path and the query are sent on the wire in exactly the
// encoding that is signed: RFC 3986, unreserved characters kept, every other
// UTF-8 byte as %XX with upper-case hex.

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

const UNRESERVED = /^[A-Za-z0-9\-._~]*$/;

/**
 * Percent-encodes `s` per RFC 3986: `A-Z a-z 0-9 - _ . ~` stay, every other
 * UTF-8 byte becomes `%XX` (upper-case hex). Throws a URIError on a lone
 * surrogate, which has no UTF-8 form.
 */
export function encodeRfc3986(s: string): string {
  if (UNRESERVED.test(s)) return s;
  // encodeURIComponent leaves ! ' ( ) * unescaped; RFC 3986 reserves them.
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export type QueryValue =
  | string
  | number
  | boolean
  | readonly (string | number | boolean)[]
  | undefined;
export type QueryParams = Record<string, QueryValue>;

/**
 * The canonical query string, used both to sign and on the wire: keys sorted,
 * a repeated key once per value with its values sorted, `key=value` pairs
 * RFC 3986-encoded and joined by `&`. Undefined values and empty arrays are
 * dropped. Returns `''` when nothing is left.
 */
export function buildQueryString(query: QueryParams): string {
  // Raw (unencoded) keys and values are sorted by UTF-16 code unit, as the
  // official Node, Go and Python signers all sort before encoding. (Go and
  // Python compare code points, which differs from UTF-16 order only between
  // astral characters and U+E000–U+FFFF: never the case in this project's keys.)
  const pairs: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    if (value === undefined) continue;
    const values = (Array.isArray(value) ? value : [value]).map(String).sort();
    const encodedKey = encodeRfc3986(key);
    for (const v of values) pairs.push(`${encodedKey}=${encodeRfc3986(v)}`);
  }
  return pairs.join('&');
}

/** Parses a raw query (`a=1&b=x%20y`, with or without `?`) into key → values; `+` is a literal plus. */
function parseQueryString(search: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const raw = search.startsWith('?') ? search.slice(1) : search;
  if (raw === '') return out;
  for (const part of raw.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1));
    const values = out[key];
    if (values === undefined) out[key] = [value];
    else values.push(value);
  }
  return out;
}

function encodeSegments(path: string): string {
  // Each segment is decoded and re-encoded, so an already RFC 3986-encoded
  // path maps to itself and any other spelling maps to the one canonical form.
  return path
    .split('/')
    .map((segment) => encodeRfc3986(decodeURIComponent(segment)))
    .join('/');
}

/**
 * The wire form of a URI path: every `/`-separated segment in canonical
 * RFC 3986 encoding (`/a b/€` → `/a%20b/%E2%82%AC`; `/a%20b` stays). Throws a
 * URIError on a malformed `%` escape.
 */
export function normalizePath(path: string): string {
  return encodeSegments(path);
}

/** The canonical URI of a request path: {@link normalizePath} plus the mandatory trailing `/`. */
export function canonicalUri(path: string): string {
  const encoded = encodeSegments(path === '' ? '/' : path);
  return encoded.endsWith('/') ? encoded : `${encoded}/`;
}

/** `X-Sdk-Date` for an instant: UTC `YYYYMMDDTHHMMSSZ`. */
export function formatSdkDate(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

/** Lower-case hex SHA-256 of the UTF-8 bytes of `data`. */
export function sha256Hex(data: string): string {
  return createHash('sha256').update(data, 'utf8').digest('hex');
}

/** A request as the signer sees it: the full URL as sent and the exact body string. */
export interface SignableRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Every intermediate value of one signature, for tests and diagnostics; holds no key. */
export interface SignatureParts {
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
  /** The `Authorization` header value; carries the AK, so it must never be logged. */
  authorization: string;
}

function lowerCaseHeaders(headers: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (out.has(lower)) throw new Error(`header ${lower} given twice`);
    // fetch trims header values before sending them; sign what is sent.
    out.set(lower, value.trim());
  }
  return out;
}

/**
 * The canonical request over exactly the given headers (all of them are
 * signed, names lower-cased and sorted) and the `SignedHeaders` list.
 */
export function canonicalRequest(req: SignableRequest): { text: string; signedHeaders: string } {
  const url = new URL(req.url);
  const headers = lowerCaseHeaders(req.headers);
  const names = [...headers.keys()].sort();
  const canonicalHeaders = names.map((name) => `${name}:${headers.get(name)}\n`).join('');
  const signedHeaders = names.join(';');
  const text = [
    req.method.toUpperCase(),
    canonicalUri(url.pathname),
    buildQueryString(parseQueryString(url.search)),
    canonicalHeaders,
    signedHeaders,
    req.body === '' ? EMPTY_BODY_SHA256 : sha256Hex(req.body),
  ].join('\n');
  return { text, signedHeaders };
}

/** `SDK-HMAC-SHA256\n{X-Sdk-Date}\n{hex(sha256(canonical request))}`. */
export function stringToSign(sdkDate: string, canonicalRequestText: string): string {
  return `${SIGNING_ALGORITHM}\n${sdkDate}\n${sha256Hex(canonicalRequestText)}`;
}

/**
 * Signs exactly the headers of `req`, which must include `X-Sdk-Date`
 * (any case). Adds nothing: see {@link signRequest} for the full header set.
 */
export function signHeaders(req: SignableRequest, credentials: Credentials): SignatureParts {
  const sdkDate = Object.entries(req.headers).find(([name]) => name.toLowerCase() === 'x-sdk-date');
  if (sdkDate === undefined) throw new Error('X-Sdk-Date header is required to sign a request');
  const { text, signedHeaders } = canonicalRequest(req);
  const toSign = stringToSign(sdkDate[1].trim(), text);
  const signature = createHmac('sha256', credentials.sk).update(toSign, 'utf8').digest('hex');
  return {
    canonicalRequest: text,
    stringToSign: toSign,
    signedHeaders,
    signature,
    authorization: `${SIGNING_ALGORITHM} Access=${credentials.ak}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
  };
}

const REPLACED = new Set(['x-sdk-date', 'authorization', 'x-security-token']);

/**
 * Signs a request at `date` and returns the full header set to send: the
 * given headers plus `host` (from the URL when absent), `X-Sdk-Date`,
 * `X-Security-Token` (when the credentials carry one; it is signed) and
 * `Authorization`. Every header in the result except `Authorization` is
 * signed, so pass only `content-type`, `X-Project-Id` and the like.
 */
export function signRequest(
  req: SignableRequest,
  credentials: Credentials,
  date: Date,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!REPLACED.has(name.toLowerCase())) headers[name] = value;
  }
  if (!Object.keys(headers).some((name) => name.toLowerCase() === 'host')) {
    headers['host'] = new URL(req.url).host;
  }
  headers['X-Sdk-Date'] = formatSdkDate(date);
  if (credentials.securityToken) headers['X-Security-Token'] = credentials.securityToken;
  const { authorization } = signHeaders({ ...req, headers }, credentials);
  return { ...headers, Authorization: authorization };
}
