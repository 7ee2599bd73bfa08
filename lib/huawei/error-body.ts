import { ErrorBodySchema } from './schemas.ts';

const MAX_API_MESSAGE = 500;

function asText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return typeof value === 'number' ? String(value) : undefined;
}

/** Code, message and request id from any of the three error-body shapes; unknown shapes give none. */
export function readErrorBody(body: string): {
  code: string | undefined;
  message: string | undefined;
  requestId: string | undefined;
} {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const parsed = ErrorBodySchema.safeParse(json);
  if (!parsed.success) return { code: undefined, message: undefined, requestId: undefined };
  const fields = parsed.data as Record<string, unknown>;
  const requestId = asText(fields['request_id']);
  if (fields['error_code'] !== undefined) {
    return { code: asText(fields['error_code']), message: asText(fields['error_msg']), requestId };
  }
  if (fields['code'] !== undefined) {
    return { code: asText(fields['code']), message: asText(fields['message']), requestId };
  }
  const nested = fields['error'] as Record<string, unknown>;
  return { code: asText(nested['code']), message: asText(nested['message']), requestId };
}

/**
 * `text` cut to a bounded length with every secret (4+ characters) replaced
 * by `[redacted]`.
 */
export function redact(text: string | undefined, secrets: readonly string[]): string | undefined {
  if (text === undefined) return undefined;
  let out = text.length > MAX_API_MESSAGE ? `${text.slice(0, MAX_API_MESSAGE)}…` : text;
  // A gateway may echo what it received (the Authorization header, a token)
  // in its message; errors and logs must never carry it.
  for (const secret of secrets) {
    if (secret.length >= 4) out = out.split(secret).join('[redacted]');
  }
  return out;
}
