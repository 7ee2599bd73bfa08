import type * as z from 'zod';
import { formatIssues } from './validation.ts';

/** What every error about one HTTP call carries; never headers, keys or bodies sent. */
export interface CallInfo {
  method: string;
  /** Path and query as sent, without the host. */
  path: string;
  requestId?: string | undefined;
}

function describeCall(call: CallInfo): string {
  return `${call.method} ${call.path}${call.requestId ? ` (request id ${call.requestId})` : ''}`;
}

/** The root of every error this project throws on purpose. */
export class AutoscalerError extends Error {
  override readonly name: string = 'AutoscalerError';
}

/** An error about one HTTP call: what was called, and the request id when the answer had one. */
export class CallError extends AutoscalerError {
  override readonly name: string = 'CallError';
  readonly method: string;
  readonly path: string;
  readonly requestId: string | undefined;
  constructor(call: CallInfo, message: string, options?: ErrorOptions) {
    super(message, options);
    this.method = call.method;
    this.path = call.path;
    this.requestId = call.requestId;
  }
}

/** The service answered with a non-2xx status. */
export class HuaweiApiError extends CallError {
  override readonly name = 'HuaweiApiError';
  readonly status: number;
  readonly code: string | undefined;
  readonly apiMessage: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(
    call: CallInfo & {
      status: number;
      code?: string | undefined;
      apiMessage?: string | undefined;
      retryAfterMs?: number | undefined;
    },
    options?: ErrorOptions,
  ) {
    super(
      call,
      `${describeCall(call)} failed with ${call.status}${call.code ? ` ${call.code}` : ''}${
        call.apiMessage ? `: ${call.apiMessage}` : ''
      }`,
      options,
    );
    this.status = call.status;
    this.code = call.code;
    this.apiMessage = call.apiMessage;
    this.retryAfterMs = call.retryAfterMs;
  }
}

/** The connection failed (refused, reset, DNS, TLS) before a response arrived. */
export class NetworkError extends CallError {
  override readonly name = 'NetworkError';
  /** `host[:port]` the call went to, when the sender knew it. */
  readonly host: string | undefined;
  /** The proxy the call was configured to go through, as `host:port` and the variables that set it. */
  readonly proxy: string | undefined;
  /** The system or TLS code of the cause (`ECONNREFUSED`, `CERT_HAS_EXPIRED`), when it had one. */
  readonly code: string | undefined;
  constructor(
    call: CallInfo & { host?: string | undefined; proxy?: string | undefined },
    options?: ErrorOptions,
  ) {
    const code = codeOf(options?.cause);
    const to = call.host === undefined ? '' : ` to ${call.host}`;
    const via = call.proxy === undefined ? '' : `; ${call.proxy}`;
    const detail = detailOf(options?.cause, code, call.host);
    super(call, `${describeCall(call)} failed: network error${to} (${detail}${via})`, options);
    this.host = call.host;
    this.proxy = call.proxy;
    this.code = code;
  }
}

/** The first system or TLS code down the cause chain; undici's own (UND_ERR_*) only when no other. */
function codeOf(cause: unknown): string | undefined {
  let own: string | undefined;
  for (let e = cause, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    if (!code.startsWith('UND_ERR')) return code;
    own ??= code;
  }
  return own;
}

/** The code and the peer it came from when not the host called (a proxy), or the message. */
function detailOf(cause: unknown, code: string | undefined, host: string | undefined): string {
  if (!(cause instanceof Error)) return 'unknown';
  const { address, port } = cause as { address?: unknown; port?: unknown };
  const from =
    typeof address === 'string' ? `${address}${port === undefined ? '' : `:${port}`}` : '';
  const peer = from === '' || from === host ? '' : ` from ${from}`;
  // Node's proxy codes (ERR_PROXY_*) say less than their message ("… via http://proxy:3128/: HTTP/1.1 403 Forbidden").
  if (code === undefined || code.startsWith('UND_ERR') || code.startsWith('ERR_PROXY')) {
    return cause.message;
  }
  return `${code}${peer}`;
}

/**
 * TLS failures no retry can fix: the certificate chain does not verify, or
 * it does not name the host called. Node and OpenSSL name them so.
 */
const CERTIFICATE_FAILURE =
  /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO_(GET|VERIFY|DECRYPT|DECODE)|HOSTNAME_MISMATCH/;

/** Whether a network error is a certificate or host-name failure (never retried). */
export function isCertificateFailure(error: NetworkError): boolean {
  return error.code !== undefined && CERTIFICATE_FAILURE.test(error.code);
}

/** One attempt took longer than its timeout, or the caller's deadline came first. */
export class TimeoutError extends CallError {
  override readonly name = 'TimeoutError';
  readonly timeoutMs: number;
  /** True when the caller's deadline, not the per-attempt timeout, ended the call. */
  readonly deadline: boolean;
  constructor(
    call: CallInfo & { timeoutMs: number; deadline?: boolean; proxy?: string | undefined },
    options?: ErrorOptions,
  ) {
    const via = call.proxy === undefined ? '' : ` (${call.proxy})`;
    super(
      call,
      call.deadline
        ? `${describeCall(call)} not completed before the invocation deadline${via}`
        : `${describeCall(call)} timed out after ${call.timeoutMs} ms${via}`,
      options,
    );
    this.timeoutMs = call.timeoutMs;
    this.deadline = call.deadline ?? false;
  }
}

/** The call succeeded but the body is not JSON or does not fit its schema. */
export class ResponseSchemaError extends CallError {
  override readonly name = 'ResponseSchemaError';
  readonly issues: readonly z.core.$ZodIssue[];
  constructor(
    call: CallInfo & { issues?: readonly z.core.$ZodIssue[]; detail?: string },
    options?: ErrorOptions,
  ) {
    const issues = call.issues ?? [];
    super(
      call,
      `${describeCall(call)} returned an unexpected body: ${call.detail ?? formatIssues(issues)}`,
      options,
    );
    this.issues = issues;
  }
}

/** A paginated listing ended before `count` items arrived: never act on it. */
export class IncompleteListingError extends AutoscalerError {
  override readonly name = 'IncompleteListingError';
  readonly expected: number;
  readonly received: number;
  /** The request id of the last page fetched, so the short answer can be traced. */
  readonly requestId: string | undefined;
  constructor(
    what: string,
    expected: number,
    received: number,
    requestId?: string | undefined,
    options?: ErrorOptions,
  ) {
    super(
      `${what}: listing incomplete, received ${received} of ${expected} items${
        requestId ? ` (last page request id ${requestId})` : ''
      }`,
      options,
    );
    this.expected = expected;
    this.received = received;
    this.requestId = requestId;
  }
}

/** An environment variable is missing or invalid; the message names it. */
export class ConfigError extends AutoscalerError {
  override readonly name = 'ConfigError';
  /** Each problem on its own, `NAME: what is wrong` (the message joins them). */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/** A queue message or event that can never be processed; it is not retried. */
export class PoisonMessageError extends AutoscalerError {
  override readonly name = 'PoisonMessageError';
}

/** A failure worth another delivery of the message (throttling, 5xx, timeout, network). */
export class RetryableFailureError extends AutoscalerError {
  override readonly name = 'RetryableFailureError';
}

/** A failure no redelivery will fix (a 4xx, a schema mismatch): the message goes to the dead-letter queue. */
export class PermanentFailureError extends AutoscalerError {
  override readonly name = 'PermanentFailureError';
}

/**
 * A call to an AWS service (the drain table, a queue, the report bucket)
 * failed for another reason than a refused condition. `transient` says
 * whether another try may succeed; `cause` holds the SDK error.
 */
export class DependencyError extends AutoscalerError {
  override readonly name: string = 'DependencyError';
  readonly transient: boolean;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.transient = isTransientAwsError(options?.cause);
  }
}

/**
 * True for failures worth retrying, of any dependency: throttling, 5xx,
 * timeouts, network errors other than a certificate or host-name failure.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof HuaweiApiError) return RETRYABLE_STATUSES.has(error.status);
  if (error instanceof DependencyError) return error.transient;
  if (error instanceof NetworkError) return !isCertificateFailure(error);
  if (error instanceof AutoscalerError) return error instanceof TimeoutError;
  return isTransientAwsError(error);
}

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

// Connection failures Node reports by code, on the error or its cause.
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
// AWS SDK error names that mean "try again later" whatever the status.
const THROTTLING_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'SlowDown',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'ServiceUnavailable',
  'KMSThrottlingException',
]);

/**
 * True for an AWS SDK (or Node network) failure worth retrying: the SDK's own
 * `$retryable`, a 429 or 5xx status, a throttling or timeout error name, or a
 * connection that failed (ECONNREFUSED, ECONNRESET, DNS), also when wrapped as
 * a cause.
 */
export function isTransientAwsError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const aws = e as {
      $retryable?: unknown;
      $metadata?: { httpStatusCode?: number };
      code?: unknown;
    };
    if (aws.$retryable !== undefined) return true;
    const status = aws.$metadata?.httpStatusCode;
    if (status !== undefined && RETRYABLE_STATUSES.has(status)) return true;
    if (THROTTLING_NAMES.has(e.name)) return true;
    if (typeof aws.code === 'string' && NETWORK_CODES.has(aws.code)) return true;
    e = e.cause;
  }
  return false;
}

/** The safe description of any failure: message, whether retrying may help, request id. */
export function describeFailure(error: unknown): {
  message: string;
  transient: boolean;
  requestId?: string | undefined;
} {
  const message = error instanceof Error ? error.message : String(error);
  const requestId = (error as { requestId?: unknown } | null)?.requestId;
  return {
    message,
    transient: isTransient(error),
    ...(typeof requestId === 'string' ? { requestId } : {}),
  };
}
