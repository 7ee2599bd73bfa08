import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { networkError, type Send, type Transport, timeoutError } from './transport.ts';

export interface NodeHttpTransportOptions {
  /** How long an idle socket is kept, ms; default 4000. */
  keepAliveTimeoutMs?: number;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The transport the functions ship with: `node:http`/`node:https` with one
 * keep-alive agent per scheme (sockets are reused per host), no WHATWG
 * streams, no Request/Response objects, one timer per attempt, nothing added
 * to the bundle. Redirects are never followed (node:http does not), so signed
 * headers never go elsewhere. The whole attempt, body included, is bounded by
 * `timeoutMs`.
 */
export function createNodeHttpTransport(options: NodeHttpTransportOptions = {}): Transport {
  const agentOptions = {
    keepAlive: true,
    keepAliveMsecs: 1_000,
    timeout: options.keepAliveTimeoutMs ?? 4_000,
    scheduling: 'lifo' as const,
  };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  const send: Send = (req) =>
    new Promise((resolve, reject) => {
      const secure = req.origin.startsWith('https:');
      let settled = false;
      const fail = (error: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(error);
      };
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', (error) => fail(networkError(req, error)));
        res.once('close', () => {
          if (!res.complete) fail(networkError(req, new Error('connection closed mid-response')));
        });
        res.once('end', () => {
          if (settled) return;
          if (!res.complete) {
            fail(networkError(req, new Error('response ended early')));
            return;
          }
          settled = true;
          clearTimeout(timer);
          resolve({
            status: res.statusCode ?? 0,
            requestId: header(res.headers['x-request-id']),
            retryAfter: header(res.headers['retry-after']),
            text:
              chunks.length === 1
                ? (chunks[0] as Buffer).toString('utf8')
                : Buffer.concat(chunks).toString('utf8'),
          });
        });
      };
      let request: ReturnType<typeof httpRequest>;
      try {
        request = (secure ? httpsRequest : httpRequest)(
          req.origin + req.path,
          {
            method: req.method,
            headers:
              req.body === ''
                ? req.headers
                : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
            agent: secure ? https : http,
          },
          onResponse,
        );
      } catch (error) {
        // An invalid header value or URL: nothing was sent.
        reject(networkError(req, error));
        return;
      }
      const timer = setTimeout(() => {
        fail(timeoutError(req));
        request.destroy();
      }, req.timeoutMs);
      request.once('error', (error) => fail(networkError(req, error)));
      request.end(req.body === '' ? undefined : req.body);
    });

  return {
    send,
    async close() {
      http.destroy();
      https.destroy();
    },
  };
}
