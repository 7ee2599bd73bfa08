import * as z from 'zod';
import { formatIssues } from '../lib/validation.ts';
import type { SimState } from './state.ts';

/** What a route handler reads besides the request: the fleet and the virtual clock. */
export interface RouteContext {
  state: SimState;
  /** Virtual now, epoch ms. */
  now: number;
}

/** A normal answer; `body` undefined means an empty body. */
export interface RouteResult {
  status: number;
  body?: unknown;
}

/** An error answer: `{error_code, error_msg}` with `status`. */
export class SimHttpError extends Error {
  override readonly name = 'SimHttpError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    // An expected answer, not a bug: a stack trace would cost more than the request.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.status = status;
    this.code = code;
  }
}

// Error codes are the simulator's choice: the reference publishes only the
// gateway's. Clients must branch on the status, not on these strings.
export const ERROR_CODES = {
  invalidParameter: 'WKS.00010001',
  invalidBody: 'WKS.00010002',
  unsupportedMediaType: 'WKS.00010415',
  notFound: 'WKS.00040004',
  conflict: 'WKS.00040009',
  ecsInvalid: 'Ecs.0005',
  ecsNotFound: 'Ecs.0114',
  ecsConflict: 'Ecs.0115',
  noSuchApi: 'APIGW.0101',
} as const;

export interface RouteRequest {
  /** Decoded path parameters after the project id. */
  params: readonly string[];
  query: ReadonlyMap<string, readonly string[]>;
  body: Buffer;
  contentType: string | undefined;
}

// Reading a request's query and body: each helper names the parameter in the
// 400 answer it throws.

export function invalid(message: string): SimHttpError {
  return new SimHttpError(400, ERROR_CODES.invalidParameter, message);
}

export function first(query: RouteRequest['query'], name: string): string | undefined {
  return query.get(name)?.[0];
}

export function integerParam(
  query: RouteRequest['query'],
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = first(query, name);
  if (raw === undefined) return fallback;
  const value = /^-?\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(
      max === Number.MAX_SAFE_INTEGER
        ? `${name} must be an integer >= ${min}`
        : `${name} must be an integer from ${min} to ${max}`,
    );
  }
  return value;
}

export function booleanParam(query: RouteRequest['query'], name: string): boolean | undefined {
  const raw = first(query, name);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw invalid(`${name} must be "true" or "false"`);
}

export function page(
  query: RouteRequest['query'],
  defaultLimit: number,
): { offset: number; limit: number } {
  return {
    offset: integerParam(query, 'offset', 0, 0, Number.MAX_SAFE_INTEGER),
    limit: integerParam(query, 'limit', defaultLimit, 1, 100),
  };
}

const InstantQuerySchema = z.iso.datetime({ offset: true });

export function instantParam(query: RouteRequest['query'], name: string): number {
  const raw = first(query, name);
  if (raw === undefined || raw === '') throw invalid(`${name} is required`);
  const parsed = InstantQuerySchema.safeParse(raw);
  if (!parsed.success) throw invalid(`${name} must be an ISO 8601 instant`);
  return Date.parse(raw);
}

export function jsonBody<T extends z.ZodType>(
  request: RouteRequest,
  schema: T,
  ecs = false,
): z.infer<T> {
  const code = ecs ? ERROR_CODES.ecsInvalid : ERROR_CODES.invalidBody;
  if (request.body.length === 0)
    throw new SimHttpError(400, code, 'a JSON request body is required');
  if (!/^application\/json\b/i.test(request.contentType ?? '')) {
    throw new SimHttpError(
      415,
      ERROR_CODES.unsupportedMediaType,
      'Content-Type must be application/json',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(request.body.toString('utf8'));
  } catch {
    throw new SimHttpError(400, code, 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new SimHttpError(400, code, `invalid request body: ${formatIssues(parsed.error.issues)}`);
  }
  return parsed.data;
}
