import type { IncomingMessage, ServerResponse } from 'node:http';

const MAX_BODY_BYTES = 1024 * 1024;

/**
 * A function writing one JSON answer with the simulator's headers
 * (`X-Request-Id`, `Date` from the virtual clock `now`, length and type).
 */
export function createSender(now: () => number) {
  let dateSecond = -1;
  let dateText = '';
  const httpDate = (ms: number): string => {
    const second = Math.floor(ms / 1000);
    if (second !== dateSecond) {
      dateSecond = second;
      dateText = new Date(ms).toUTCString();
    }
    return dateText;
  };

  const send = (
    res: ServerResponse,
    requestId: string,
    status: number,
    body: string | undefined,
    extra?: Record<string, string>,
  ): void => {
    if (res.destroyed) return;
    const headers: Record<string, string | number> = {
      'X-Request-Id': requestId,
      Date: httpDate(now()),
      'Content-Length': body === undefined ? 0 : Buffer.byteLength(body),
      ...extra,
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json;charset=UTF-8';
    res.writeHead(status, headers);
    res.end(body);
  };
  return send;
}

/** An error answer as APS and ECS write it; the gateway (APIGW.*) adds the request id. */
export const errorObject = (code: string, message: string, requestId: string): object =>
  code.startsWith('APIGW.')
    ? { error_code: code, error_msg: message, request_id: requestId }
    : { error_code: code, error_msg: message };
export const errorBody = (code: string, message: string, requestId: string): string =>
  JSON.stringify(errorObject(code, message, requestId));

/** The body bytes; null when over MAX_BODY_BYTES, undefined when the client went away. */
export const readBody = (req: IncomingMessage): Promise<Buffer | null | undefined> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
