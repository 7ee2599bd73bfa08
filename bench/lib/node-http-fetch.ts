import { Agent, request } from 'node:http';

/**
 * A diagnostic stand-in for `fetch` over `node:http` with a keep-alive agent:
 * just the part of fetch the HTTP core uses (method, headers, string body,
 * abort signal; status, `headers.get`, `text()`). http: URLs only. It exists
 * to measure what the sweep would gain if lib/huawei/http.ts used node:http
 * instead of the global fetch (undici); nothing in lib/ uses it.
 */
export function createNodeHttpFetch(maxSockets = 64): typeof globalThis.fetch {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const nodeFetch = (input: string | URL, init: RequestInit = {}) =>
    new Promise((resolve, reject) => {
      const req = request(
        input,
        {
          method: init.method ?? 'GET',
          headers: init.headers as Record<string, string>,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.once('error', reject);
          res.once('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: {
                get: (name: string) => {
                  const value = res.headers[name.toLowerCase()];
                  return value === undefined ? null : String(value);
                },
              },
              text: () => Promise.resolve(text),
            });
          });
        },
      );
      req.once('error', reject);
      const signal = init.signal;
      if (signal) {
        if (signal.aborted) req.destroy(new Error('aborted'));
        else
          signal.addEventListener('abort', () => req.destroy(new Error('aborted')), { once: true });
      }
      req.end(typeof init.body === 'string' ? init.body : undefined);
    });
  return nodeFetch as unknown as typeof globalThis.fetch;
}
