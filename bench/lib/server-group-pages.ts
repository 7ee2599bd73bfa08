import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for ECS `GET /v1/{project_id}/cloudservers/os-server-groups`
 * (ListServerGroups: `limit`, `marker`; answers `server_groups` and
 * `page_info.next_marker`, the shape of the official SDK's
 * ListServerGroupsResponse). Pages are generated once and served as the same
 * bytes to every client; signatures are not checked. It exists so our client,
 * the bare floor and the official SDK can be measured on identical responses.
 */
export interface ServerGroupPages {
  url: string;
  projectId: string;
  /** Bytes of one page (all pages are within a few bytes of each other). */
  pageBytes: number;
  pages: number;
  /** Requests answered so far. */
  served(): number;
  close(): Promise<void>;
}

export interface ServerGroupPagesOptions {
  pages?: number;
  /** Groups per page; the API's maximum page is what the clients ask for. */
  pageSize?: number;
  /** Members per group: 18 gives ≈ 90 KB pages of 100. */
  membersPerGroup?: number;
  /** Added before each answer, ms. */
  latencyMs?: number;
}

const POLICIES = ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity'] as const;

function uuid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function buildPages(count: number, size: number, members: number): string[] {
  const pages: string[] = [];
  for (let p = 0; p < count; p += 1) {
    const groups = Array.from({ length: size }, (_, i) => ({
      id: uuid(),
      name: `aps-sg-${p}-${i}-${uuid().slice(0, 8)}`,
      members: Array.from({ length: members }, () => uuid()),
      metadata: { created_by: 'workspace-app-streaming', 'aps:group': uuid() },
      policies: [POLICIES[(p + i) % POLICIES.length]],
    }));
    const last = groups.at(-1)?.id;
    pages.push(
      JSON.stringify({
        server_groups: groups,
        ...(p < count - 1 && last !== undefined ? { page_info: { next_marker: last } } : {}),
      }),
    );
  }
  return pages;
}

export async function startServerGroupPages(
  options: ServerGroupPagesOptions = {},
): Promise<ServerGroupPages> {
  const count = options.pages ?? 20;
  const pages = buildPages(count, options.pageSize ?? 100, options.membersPerGroup ?? 18);
  // marker → index of the page it opens (the marker is the previous page's last id).
  const byMarker = new Map<string, number>();
  pages.forEach((page, i) => {
    const marker = (JSON.parse(page) as { page_info?: { next_marker: string } }).page_info
      ?.next_marker;
    if (marker !== undefined) byMarker.set(marker, i + 1);
  });
  const projectId = 'bench0123456789abcdef0123456789ab';
  const prefix = `/v1/${projectId}/cloudservers/os-server-groups`;
  const latency = options.latencyMs ?? 0;
  let served = 0;
  const server: Server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    const [path, query = ''] = (req.url ?? '').split('?');
    const marker = new URLSearchParams(query).get('marker');
    const index = marker === null ? 0 : byMarker.get(marker);
    const answer = () => {
      served += 1;
      if (path !== prefix || index === undefined) {
        res.writeHead(path !== prefix ? 404 : 400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'Ecs.0005', message: 'bad request' } }));
        return;
      }
      const body = pages[index] ?? '';
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        'x-request-id': uuid(),
      });
      res.end(body);
    };
    req.resume();
    req.once('end', () => (latency > 0 ? setTimeout(answer, latency) : answer()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    projectId,
    pageBytes: Buffer.byteLength(pages[0] ?? ''),
    pages: count,
    served: () => served,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
