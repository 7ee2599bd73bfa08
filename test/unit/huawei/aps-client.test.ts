import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HuaweiApiError, IncompleteListingError } from '../../../lib/errors.ts';
import { type ApsClient, createApsClient, PAGE_SIZE } from '../../../lib/huawei/aps-client.ts';
import { createHttpCore } from '../../../lib/huawei/http.ts';
import type { ServerGroup } from '../../../lib/huawei/schemas.ts';
import {
  type RecordedRequest,
  type ScriptedServer,
  startScriptedServer,
} from '../../helpers/http-server.ts';

const PROJECT = 'proj-1';

let server: ScriptedServer;
let aps: ApsClient;
beforeEach(async () => {
  server = await startScriptedServer();
  const http = createHttpCore({
    credentials: { ak: 'AK', sk: 'SK' },
    projectId: PROJECT,
    timeoutMs: 2_000,
    sleep: async () => {},
    random: () => 0,
  });
  aps = createApsClient({ http, endpoint: server.url, projectId: PROJECT });
});
afterEach(async () => {
  await server.close();
});

/** Serves `total` items (or `served` of them, the rest missing) with offset pagination. */
function paged<T>(items: T[], options: { count?: number } = {}) {
  return (req: RecordedRequest) => {
    const offset = Number(req.query.get('offset'));
    const limit = Number(req.query.get('limit'));
    return {
      json: { count: options.count ?? items.length, items: items.slice(offset, offset + limit) },
    };
  };
}

const group = (i: number): ServerGroup => ({ id: `sg-${i}`, name: `group ${i}` });
const server_ = (i: number) => ({ id: `srv-${i}`, machine_name: `APS-${i}`, session_count: 0 });
const session = (i: number) => ({
  id: `ses-${i}`,
  machine_name: `APS-${i}`,
  session_state: 'SignedOut',
});

async function drain<T>(items: AsyncIterable<T>): Promise<{ got: T[]; error: unknown }> {
  const got: T[] = [];
  try {
    for await (const item of items) got.push(item);
  } catch (error) {
    return { got, error };
  }
  return { got, error: undefined };
}

describe('listServerGroups', () => {
  it('streams every group page by page at the maximum page size', async () => {
    const groups = Array.from({ length: 250 }, (_, i) => group(i));
    server.handle(paged(groups));
    const { got, error } = await drain(aps.listServerGroups());
    expect(error).toBeUndefined();
    expect(got.map((g) => g.id)).toEqual(groups.map((g) => g.id));
    expect(server.requests.map((r) => r.url)).toEqual([
      `/v1/${PROJECT}/app-server-groups?limit=100&offset=0`,
      `/v1/${PROJECT}/app-server-groups?limit=100&offset=100`,
      `/v1/${PROJECT}/app-server-groups?limit=100&offset=200`,
    ]);
    expect(PAGE_SIZE).toBe(100);
  });

  it('asks for the next page while the caller works on this one, never past the total', async () => {
    server.handle(paged(Array.from({ length: 150 }, (_, i) => group(i))));
    const iterator = aps.listServerGroups();
    await iterator.next();
    // The caller holds item 0; the second (last) page is read meanwhile.
    for (let i = 0; i < 100 && server.requests.length < 2; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(server.requests.map((r) => r.query.get('offset'))).toEqual(['0', '100']);
    const rest = await drain({ [Symbol.asyncIterator]: () => iterator });
    expect(rest.got).toHaveLength(149);
    expect(server.requests).toHaveLength(2);
    server.handle(paged(Array.from({ length: 100 }, (_, i) => group(i))));
    await drain(aps.listServerGroups());
    expect(server.requests).toHaveLength(3);
  });

  it('yields a page in full before the failure of the page read ahead of it', async () => {
    server.enqueue({
      json: { count: 150, items: Array.from({ length: 100 }, (_, i) => group(i)) },
    });
    server.enqueue({ status: 400, json: { error_code: 'APS.0001', error_msg: 'bad offset' } });
    const { got, error } = await drain(aps.listServerGroups());
    expect(got).toHaveLength(100);
    expect(error).toBeInstanceOf(HuaweiApiError);
  });

  it('sends the filters in the query', async () => {
    server.handle(paged([group(1)]));
    await drain(
      aps.listServerGroups({
        server_group_name: 'a b',
        app_type: 'COMMON_APP',
        tags: 'team=x',
        enterprise_project_id: '0',
        is_secondary_server_group: false,
        server_group_id: undefined,
      }),
    );
    expect(server.requests[0]?.rawQuery).toBe(
      'app_type=COMMON_APP&enterprise_project_id=0&is_secondary_server_group=false&limit=100&offset=0&server_group_name=a%20b&tags=team%3Dx',
    );
  });

  it('throws IncompleteListingError after yielding what came, when a page ends early', async () => {
    const groups = Array.from({ length: 200 }, (_, i) => group(i));
    server.handle(paged(groups, { count: 250 }));
    const { got, error } = await drain(aps.listServerGroups());
    expect(got).toHaveLength(200);
    expect(error).toBeInstanceOf(IncompleteListingError);
    expect(error).toMatchObject({ expected: 250, received: 200 });
    expect(server.requests).toHaveLength(3);
  });

  it('names the request id of the last page in an incomplete listing', async () => {
    server.enqueue({
      json: { count: 3, items: [group(1)] },
      headers: { 'X-Request-Id': 'req-p1' },
    });
    server.enqueue({ json: { count: 3, items: [] }, headers: { 'X-Request-Id': 'req-p2' } });
    const { error } = await drain(aps.listServerGroups());
    expect(error).toBeInstanceOf(IncompleteListingError);
    expect(String(error)).toContain('req-p2');
  });

  it('stops when the count shrinks below the offset', async () => {
    server.enqueue({
      json: { count: 150, items: Array.from({ length: 100 }, (_, i) => group(i)) },
    });
    server.enqueue({ json: { count: 100, items: [] } });
    const { got, error } = await drain(aps.listServerGroups());
    expect(got).toHaveLength(100);
    expect(error).toBeUndefined();
  });

  it('fails on a page that breaks the schema', async () => {
    server.handle(() => ({ json: { count: 1, items: [{ name: 'no id' }] } }));
    const { error } = await drain(aps.listServerGroups());
    expect(String(error)).toMatch(/items\[0\]\.id/);
  });
});

describe('getServerGroup', () => {
  it('returns the group with exactly that id', async () => {
    server.handle(() => ({ json: { count: 2, items: [group(10), group(1)] } }));
    expect(await aps.getServerGroup('sg-1')).toEqual(group(1));
    expect(server.requests[0]?.query.get('server_group_id')).toBe('sg-1');
    expect(await aps.getServerGroup('sg-2')).toBeUndefined();
  });
});

describe('listServers', () => {
  it('collects every page and maps the filters to the API names', async () => {
    server.handle(paged(Array.from({ length: 120 }, (_, i) => server_(i))));
    const servers = await aps.listServers({
      serverGroupId: 'sg-1',
      maintainStatus: false,
      scalingAutoCreate: true,
      machineName: 'APS-',
      serverName: 'n',
      ipAddr: '10.0.0.1',
      serverId: 's',
    });
    expect(servers).toHaveLength(120);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.rawQuery).toBe(
      'ip_addr=10.0.0.1&limit=100&machine_name=APS-&maintain_status=false&offset=100&scaling_auto_create=true&server_group_id=sg-1&server_id=s&server_name=n',
    );
    expect(server.requests[0]?.path).toBe(`/v1/${PROJECT}/app-servers`);
  });

  it('throws IncompleteListingError when the servers end short', async () => {
    server.handle(paged([server_(1)], { count: 3 }));
    await expect(aps.listServers({ serverGroupId: 'sg-1' })).rejects.toBeInstanceOf(
      IncompleteListingError,
    );
  });
});

describe('listSessions', () => {
  const begin = new Date('2024-05-01T00:00:00Z');
  const end = new Date('2024-05-02T00:00:00.500Z');

  it('queries the window in ISO 8601 and collects every page', async () => {
    server.handle(paged(Array.from({ length: 101 }, (_, i) => session(i))));
    const sessions = await aps.listSessions({
      serverGroupId: 'sg-1',
      machineName: 'APS-1',
      begin,
      end,
      sessionState: ['Active', 'Disconnected'],
    });
    expect(sessions).toHaveLength(101);
    const [first] = server.requests;
    expect(first?.path).toBe(`/v1/${PROJECT}/session/list-sessions`);
    expect(first?.query.get('query_begin_time')).toBe('2024-05-01T00:00:00.000Z');
    expect(first?.query.get('query_end_time')).toBe('2024-05-02T00:00:00.500Z');
    expect(first?.rawQuery).toContain('session_state=Active%2CDisconnected');
    expect(first?.query.get('app_server_group_id')).toBe('sg-1');
    expect(first?.query.get('machine_name')).toBe('APS-1');
  });

  it('leaves session_state out when no state is asked for', async () => {
    server.handle(paged([session(1)]));
    await aps.listSessions({ begin, end, sessionState: [] });
    expect(server.requests[0]?.query.has('session_state')).toBe(false);
  });

  it('throws IncompleteListingError when the sessions end short', async () => {
    server.handle(paged([session(1)], { count: 2 }));
    await expect(aps.listSessions({ begin, end })).rejects.toBeInstanceOf(IncompleteListingError);
  });
});

describe('getServer', () => {
  it('returns the server', async () => {
    server.handle(() => ({ json: server_(7) }));
    expect(await aps.getServer('srv-7')).toEqual(server_(7));
    expect(server.requests[0]?.path).toBe(`/v1/${PROJECT}/app-servers/srv-7`);
  });

  it('returns undefined once the server is gone', async () => {
    server.handle(() => ({ status: 404, json: { error_code: 'WKS.00030002', error_msg: 'gone' } }));
    expect(await aps.getServer('srv-7')).toBeUndefined();
  });

  it('encodes the id as one path segment and refuses a slash', async () => {
    server.handle(() => ({ json: server_(1) }));
    await aps.getServer('a b');
    expect(server.requests[0]?.path).toBe(`/v1/${PROJECT}/app-servers/a%20b`);
    await expect(aps.getServer('../groups')).rejects.toThrow(RangeError);
  });
});

describe('listServerGroups scope', () => {
  it('sends enterprise_project_id only when given', async () => {
    server.handle(paged([group(1)]));
    await drain(aps.listServerGroups({ enterprise_project_id: 'ep-1' }));
    await drain(aps.listServerGroups());
    expect(server.requests.map((r) => r.query.get('enterprise_project_id'))).toEqual([
      'ep-1',
      null,
    ]);
  });
});

const ids = (n: number) => Array.from({ length: n }, (_, i) => `srv-${i}`);

describe('batchDeleteServers', () => {
  it('posts the ids as items and returns the job and request ids', async () => {
    server.handle(() => ({ json: { job_id: 'job-9' }, headers: { 'X-Request-Id': 'r-9' } }));
    expect(await aps.batchDeleteServers(['srv-1', 'srv-2'])).toEqual({
      jobId: 'job-9',
      requestId: 'r-9',
    });
    const [req] = server.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe(`/v1/${PROJECT}/app-servers/actions/batch-delete`);
    expect(req?.body).toBe('{"items":["srv-1","srv-2"]}');
  });

  it('takes up to 20 ids in one call', async () => {
    server.handle(() => ({ json: { job_id: 'job-20' } }));
    expect((await aps.batchDeleteServers(ids(20))).jobId).toBe('job-20');
    expect(JSON.parse(server.requests[0]?.body ?? '').items).toHaveLength(20);
  });

  it.each([
    [0, /0 server ids, the API takes 1 to 20/],
    [21, /21 server ids, the API takes 1 to 20/],
  ])('refuses %i ids before any request', async (n, message) => {
    await expect(aps.batchDeleteServers(ids(n))).rejects.toThrow(message);
    expect(server.requests).toHaveLength(0);
  });

  it('refuses empty and repeated ids', async () => {
    await expect(aps.batchDeleteServers(['a', ''])).rejects.toThrow(/non-empty/);
    await expect(aps.batchDeleteServers(['a', 'a'])).rejects.toThrow(/distinct/);
    expect(server.requests).toHaveLength(0);
  });

  it('rejects a job_id that is not a string, naming the field', async () => {
    server.handle(() => ({ json: { job_id: 42 } }));
    await expect(aps.batchDeleteServers(['a'])).rejects.toThrow(/job_id/);
  });
});

describe('getJob', () => {
  it('reads the job on the v2 path', async () => {
    const job = {
      id: 'job-9',
      job_type: 'DELETE_SERVER',
      status: 'RUNNING',
      begin_time: '2024-01-01T00:00:00.000Z',
      sub_jobs_total: 1,
      sub_jobs: [{ id: 'sub-1', status: 'RUNNING', job_resource_info: { resource_id: 'srv-1' } }],
    };
    server.handle(() => ({ json: job }));
    expect(await aps.getJob('job-9')).toEqual(job);
    expect(server.requests[0]?.method).toBe('GET');
    expect(server.requests[0]?.path).toBe(`/v2/${PROJECT}/job/job-9`);
  });

  it('parses an unknown status as a string', async () => {
    server.handle(() => ({ json: { id: 'job-9', status: 'ROLLBACK' } }));
    expect((await aps.getJob('job-9')).status).toBe('ROLLBACK');
  });

  it('rejects an empty body and a body without a status', async () => {
    server.enqueue({ status: 200 });
    await expect(aps.getJob('job-9')).rejects.toThrow(/body is empty/);
    server.enqueue({ json: { id: 'job-9' } });
    await expect(aps.getJob('job-9')).rejects.toThrow(/status/);
  });
});

describe('batchSetMaintenance', () => {
  it.each([true, false])('patches batch-maint with maintain_status %s', async (on) => {
    server.handle(() => ({ status: 200, headers: { 'X-Request-Id': 'r-m' } }));
    expect(await aps.batchSetMaintenance(['srv-1'], on)).toEqual({ requestId: 'r-m' });
    const [req] = server.requests;
    expect(req?.method).toBe('PATCH');
    expect(req?.path).toBe(`/v1/${PROJECT}/app-servers/actions/batch-maint`);
    expect(req?.body).toBe(`{"items":["srv-1"],"maintain_status":${on}}`);
  });

  it('refuses more than 20 ids before any request', async () => {
    await expect(aps.batchSetMaintenance(ids(21), true)).rejects.toThrow(RangeError);
    expect(server.requests).toHaveLength(0);
  });

  it('throws on an error answer', async () => {
    server.handle(() => ({ status: 400, json: { error_code: 'WKS.0001', error_msg: 'bad' } }));
    await expect(aps.batchSetMaintenance(['srv-1'], true)).rejects.toBeInstanceOf(HuaweiApiError);
  });
});
