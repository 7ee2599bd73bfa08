import {
  createSignedFetch,
  type SignedRequest,
  signRequest,
} from '../../../scripts/lib/signed-fetch.ts';
import { type Simulator, type StartSimulatorOptions, startSimulator } from '../../../sim/index.ts';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; undefined when empty or not JSON. */
  json: unknown;
}

export interface SimHarness {
  sim: Simulator;
  /** `/v1/{project_id}` */
  v1: string;
  /** Sends a request signed with the simulator's credentials at its virtual now. */
  call(request: SignedRequest): Promise<Reply>;
  /** Sends an unsigned request to the admin API. */
  admin(method: string, path: string, body?: unknown): Promise<Reply>;
  /** Signs like `call` but returns the prepared request, to tamper with before sending. */
  prepare(request: SignedRequest): ReturnType<typeof signRequest>;
  close(): Promise<void>;
}

export async function toReply(response: Response): Promise<Reply> {
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** Starts a simulator (frozen clock unless told otherwise) with a signed client for it. */
export async function openSim(options: StartSimulatorOptions = {}): Promise<SimHarness> {
  const sim = await startSimulator({ ...options, clock: { frozen: true, ...options.clock } });
  const signer = {
    baseUrl: sim.url,
    ak: sim.credentials.ak,
    sk: sim.credentials.sk,
    projectId: sim.projectId,
    securityToken: sim.credentials.securityToken,
    now: () => sim.now(),
  };
  const signedFetch = createSignedFetch(signer);
  return {
    sim,
    v1: `/v1/${sim.projectId}`,
    call: async (request) => toReply(await signedFetch(request)),
    admin: async (method, path, body) =>
      toReply(
        await fetch(`${sim.url}${path}`, {
          method,
          ...(body === undefined
            ? {}
            : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
        }),
      ),
    prepare: (request) => signRequest(signer, request),
    close: () => sim.close(),
  };
}

/** Sends a prepared (possibly tampered) request. */
export async function send(prepared: ReturnType<typeof signRequest>): Promise<Reply> {
  return toReply(
    await fetch(prepared.url, {
      method: prepared.method,
      headers: prepared.headers,
      ...(prepared.body !== undefined ? { body: prepared.body } : {}),
    }),
  );
}

/** Reads `{count, items}` from a reply. */
export function page(reply: Reply): { count: number; items: Record<string, unknown>[] } {
  return reply.json as { count: number; items: Record<string, unknown>[] };
}

export function ids(reply: Reply): string[] {
  return page(reply).items.map((item) => String(item['id']));
}
