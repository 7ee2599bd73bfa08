import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Http1Response,
  Http1ResponseReader,
  ResponseFramingError,
} from '../../../lib/huawei/http1-response.ts';

type Framing = 'length' | 'chunked' | 'close';

interface Case {
  status: number;
  headers: [string, string][];
  body: Buffer;
  framing: Framing;
  chunkSizes: number[];
  interim: boolean;
  close: boolean;
  cuts: number[];
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const fieldValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'content-encoding']);

const aCase: fc.Arbitrary<Case> = fc.record({
  status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
  headers: fc
    .array(fc.tuple(token, fieldValue), { maxLength: 6 })
    .map((hs) => hs.filter(([name]) => !RESERVED.has(name.toLowerCase()))),
  body: fc
    .oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constant('{"items":[]}'))
    .map((s) => Buffer.from(s, 'utf8')),
  framing: fc.constantFrom<Framing>('length', 'chunked', 'close'),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
  interim: fc.boolean(),
  close: fc.boolean(),
  cuts: fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 12 }),
});

/** The bytes of a response for `c`, as a server would send them. */
function wire(c: Case): Buffer {
  const lines = [`HTTP/1.1 ${c.status} Reason Phrase`, ...c.headers.map(([n, v]) => `${n}: ${v}`)];
  if (c.framing === 'length') lines.push(`Content-Length: ${c.body.length}`);
  if (c.framing === 'chunked') lines.push('Transfer-Encoding: chunked');
  if (c.close || c.framing === 'close') lines.push('Connection: close');
  const interim = c.interim ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
  const head = Buffer.from(`${interim}${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  if (c.framing !== 'chunked') return Buffer.concat([head, c.body]);
  const parts: Buffer[] = [head];
  let at = 0;
  for (let i = 0; at < c.body.length; i += 1) {
    const size = c.chunkSizes[i % c.chunkSizes.length] as number;
    const piece = c.body.subarray(at, at + size);
    const ext = i % 3 === 1 ? ';name=value' : '';
    parts.push(Buffer.from(`${piece.length.toString(16)}${ext}\r\n`), piece, Buffer.from('\r\n'));
    at += piece.length;
  }
  parts.push(Buffer.from(`0\r\n${c.close ? 'X-Trailer: t\r\n' : ''}\r\n`));
  return Buffer.concat(parts);
}

/** Splits `bytes` at the (sorted, deduplicated) cut points that fall inside it. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of [...points, bytes.length]) {
    if (p > from) out.push(bytes.subarray(from, p));
    from = Math.max(from, p);
  }
  return out;
}

function feed(reader: Http1ResponseReader, chunks: Buffer[]): Http1Response | undefined {
  let result: Http1Response | undefined;
  for (const chunk of chunks) {
    const r = reader.push(chunk);
    if (r !== undefined) {
      expect(result).toBeUndefined();
      result = r;
    }
  }
  return result;
}

const read = (text: string) => {
  const reader = new Http1ResponseReader();
  return { reader, response: reader.push(Buffer.from(text, 'latin1')) };
};

describe('Http1ResponseReader', () => {
  it('reads any response, however the bytes are split, exactly once', () => {
    fc.assert(
      fc.property(aCase, (c) => {
        const reader = new Http1ResponseReader();
        let response = feed(reader, split(wire(c), c.cuts));
        if (c.framing === 'close') {
          expect(response).toBeUndefined();
          response = reader.end();
        }
        if (response === undefined) throw new Error('no response');
        expect(response.status).toBe(c.status);
        expect(response.body.equals(c.body)).toBe(true);
        for (const [name, value] of c.headers) {
          expect(response.headers.get(name.toLowerCase())).toContain(value);
        }
        expect(response.reusable).toBe(c.framing !== 'close' && !c.close);
      }),
      { seed: 1130, numRuns: 2_000 },
    );
  });

  it('never answers for a response cut short, whatever the cut', () => {
    fc.assert(
      fc.property(
        aCase.filter((c) => c.framing !== 'close'),
        fc.nat(),
        (c, cut) => {
          const bytes = wire(c);
          const short = bytes.subarray(0, cut % bytes.length);
          const reader = new Http1ResponseReader();
          expect(feed(reader, split(short, c.cuts))).toBeUndefined();
          expect(reader.end()).toBeUndefined();
          expect(reader.received).toBe(short.length);
        },
      ),
      { seed: 30, numRuns: 1_000 },
    );
  });

  it('reads 204 and 304 without a body, and marks stray bytes after an answer unreusable', () => {
    expect(read('HTTP/1.1 204 No Content\r\n\r\n').response).toMatchObject({ status: 204 });
    expect(
      read('HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n').response?.body.length,
    ).toBe(0);
    const extra = read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}HTTP/1.1 200 OK');
    expect(extra.response?.body.toString()).toBe('{}');
    expect(extra.response?.reusable).toBe(false);
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}').response?.reusable).toBe(false);
    expect(
      read(
        'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n',
      ).response,
    ).toMatchObject({ reusable: false, status: 200 });
  });

  it.each([
    ['a status line that is not HTTP/1.x', 'HTTP/2 200 OK\r\n\r\n'],
    ['a bad status code', 'HTTP/1.1 20 OK\r\n\r\n'],
    ['101 to a request that asked for no upgrade', 'HTTP/1.1 101 Switching\r\n\r\n'],
    ['a header without a name', 'HTTP/1.1 200 OK\r\n: x\r\n\r\n'],
    ['an obs-folded header', 'HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n'],
    ['a non-numeric Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n'],
    [
      'conflicting Content-Lengths',
      'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    ],
    ['a transfer coding other than chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n'],
    ['chunked not alone', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    [
      'chunk data without its CRLF',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}XX',
    ],
  ])('refuses %s', (_name, text) => {
    expect(() => read(text)).toThrow(ResponseFramingError);
  });

  it('refuses a head or a body over its limit', () => {
    const reader = new Http1ResponseReader({ maxHeadBytes: 100 });
    expect(() => reader.push(Buffer.from(`HTTP/1.1 200 OK\r\nA: ${'x'.repeat(200)}`))).toThrow(
      /head over 100 bytes/,
    );
    const small = new Http1ResponseReader({ maxBodyBytes: 10 });
    expect(() => small.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n'))).toThrow(
      /body over 10 bytes/,
    );
    const chunked = new Http1ResponseReader({ maxBodyBytes: 3 });
    expect(() =>
      chunked.push(
        Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n'),
      ),
    ).toThrow(/body over 3 bytes/);
  });
});
