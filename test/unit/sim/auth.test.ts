import { parse } from 'node:url';
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRfc3986 } from '../../../scripts/lib/signed-fetch.ts';
import { authenticate, expectedSignature, type ReceivedRequest } from '../../../sim/auth.ts';
import { toSdkDate } from '../../../sim/clock.ts';

const A_SK = 'MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc';

describe('expectedSignature (official canonicalisation)', () => {
  it.each([
    [
      'A',
      {
        method: 'GET',
        rawPath: '/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs',
        rawQuery: 'limit=2&marker=13551d6b-755d-4757-b956-536f674975c0',
        headers: {
          'content-type': 'application/json',
          host: 'service.region.example.com',
          'x-sdk-date': '20191115T033655Z',
        },
        body: Buffer.alloc(0),
      },
      A_SK,
      'content-type;host;x-sdk-date',
      '20191115T033655Z',
      '7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe',
    ],
    [
      'B',
      {
        method: 'GET',
        rawPath: '/path',
        rawQuery: 'limit=1',
        headers: { 'x-sdk-date': '20060102T150405Z' },
        body: Buffer.alloc(0),
      },
      'SecretKey',
      'x-sdk-date',
      '20060102T150405Z',
      '5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624',
    ],
    [
      'C',
      {
        method: 'POST',
        rawPath: '/path',
        rawQuery: 'key=value',
        headers: { 'x-sdk-date': '20060102T150405Z' },
        body: Buffer.from('{"Name":"test","Id":1}\n'),
      },
      'SecretKey',
      'x-sdk-date',
      '20060102T150405Z',
      'cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59',
    ],
    [
      'D',
      {
        method: 'POST',
        rawPath: '/v1/0123456789abcdef0123456789abcdef/cloudservers/os-server-groups/sg-1/action',
        rawQuery: '',
        headers: {
          'content-type': 'application/json',
          host: 'ecs.cn-north-4.myhuaweicloud.com',
          'x-project-id': '0123456789abcdef0123456789abcdef',
          'x-sdk-date': '20240101T000000Z',
        },
        body: Buffer.from(
          '{"remove_member":{"instance_uuid":"34dac9a0-c4a7-457b-bab2-e2c696e0e401"}}',
        ),
      },
      A_SK,
      'content-type;host;x-project-id;x-sdk-date',
      '20240101T000000Z',
      'de3db5e81ed4b6c9b132cafa31c41f81806c7c142ff129ee3177b8d828301964',
    ],
  ])('reproduces reference vector %s', (_name, request, sk, signed, date, signature) => {
    expect(expectedSignature(request as ReceivedRequest, sk, signed, date)).toBe(signature);
  });
});

describe('authenticate', () => {
  const ak = 'AKFORPROPERTYTEST000';
  const sk = 'property-secret';
  const now = Date.UTC(2026, 0, 1, 12);
  const credentials = new BasicCredentials().withAk(ak).withSk(sk);

  /** Signs with the official signer and returns what the server would receive. */
  function received(input: {
    path: string;
    query: Record<string, string>;
    body: object | undefined;
  }): ReceivedRequest {
    const headers: Record<string, string> = {
      'X-Sdk-Date': toSdkDate(now),
      'X-Project-Id': 'proj',
      ...(input.body ? { 'content-type': 'application/json' } : {}),
    };
    const signed = AKSKSigner.sign(
      {
        method: input.body ? 'POST' : 'GET',
        endpoint: `http://127.0.0.1:8787${input.path}`,
        queryParams: input.query,
        headers,
        ...(input.body ? { data: input.body } : {}),
      },
      credentials,
    ) as Record<string, string>;
    const lower = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      method: input.body ? 'POST' : 'GET',
      rawPath: input.path.split('/').map(encodeRfc3986).join('/'),
      rawQuery: Object.entries(input.query)
        .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
        .join('&'),
      headers: lower,
      body: Buffer.from(input.body ? JSON.stringify(input.body) : ''),
    };
  }

  // Only paths the official signer reads back unchanged: it parses the URL
  // with url.parse, which trims blanks, cuts at `?`/`#` and escapes some
  // characters depending on the rest of the URL.
  const segment = fc
    .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
    .filter((s) => !s.includes('/'));
  const path = fc
    .array(segment, { minLength: 1, maxLength: 4 })
    .map((s) => `/v1/proj/${s.join('/')}`)
    .filter((p) => parse(`http://h${p}`).pathname === p);
  const requestArb = fc.record({
    path,
    query: fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 }), {
      maxKeys: 4,
    }),
    body: fc.option(fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }), { nil: undefined }),
  });
  const settings = { ak, sk, projectId: 'proj', now };

  it('accepts whatever the official signer signs (paths, queries, bodies in any script)', () => {
    fc.assert(
      fc.property(requestArb, (input) => {
        expect(authenticate(received(input), 'proj', settings)).toEqual({
          ok: true,
          signatureOk: true,
        });
      }),
      { numRuns: 150 },
    );
  });

  it('accepts the official Node SDK reading of an already-encoded path (%20 signed as %2520)', () => {
    const headers = { 'X-Sdk-Date': toSdkDate(now) };
    const signed = AKSKSigner.sign(
      { method: 'GET', endpoint: 'http://127.0.0.1:8787/v1/proj/a%20b', queryParams: {}, headers },
      credentials,
    ) as Record<string, string>;
    const request: ReceivedRequest = {
      method: 'GET',
      rawPath: '/v1/proj/a%20b',
      rawQuery: '',
      headers: Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v])),
      body: Buffer.alloc(0),
    };
    expect(authenticate(request, 'proj', settings).ok).toBe(true);
    expect(authenticate({ ...request, rawPath: '/v1/proj/a%20c' }, 'proj', settings).ok).toBe(
      false,
    );
  });

  it('rejects the same requests once one body byte changes', () => {
    fc.assert(
      fc.property(requestArb, (input) => {
        const request = received({ ...input, body: input.body ?? { a: 'b' } });
        const tampered = { ...request, body: Buffer.concat([request.body, Buffer.from(' ')]) };
        const result = authenticate(tampered, 'proj', settings);
        expect(result.ok).toBe(false);
        expect(result.ok ? 0 : result.status).toBe(401);
      }),
      { numRuns: 100 },
    );
  });
});
