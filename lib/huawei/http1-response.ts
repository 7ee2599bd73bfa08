// An incremental HTTP/1.1 response reader (RFC 9112), pure: bytes in, one
// response out. lib/huawei/http1-transport.ts feeds it what a socket reads.
// It reads exactly what a client that sends no `Accept-Encoding`, no
// `Expect` and no `Upgrade` can be answered with: a status line, header
// fields, then a body framed by Content-Length, chunked transfer coding, or
// the end of the connection; 1xx interim answers are skipped. Anything else
// is a ResponseFramingError, never a guess.

/** The answer could not be read as HTTP/1.1: the connection must be dropped. */
export class ResponseFramingError extends Error {
  override readonly name = 'ResponseFramingError';
}

export interface Http1Response {
  status: number;
  /** Lower-cased names; repeated fields joined with `, `. */
  headers: Map<string, string>;
  body: Buffer;
  /** The connection may carry another request (keep-alive, framed body, no stray bytes). */
  reusable: boolean;
}

export interface ReaderLimits {
  /** Status line plus header fields, bytes; default 64 KiB. */
  maxHeadBytes?: number;
  /** Body bytes; default 64 MiB. */
  maxBodyBytes?: number;
}

const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,15})[ \t]*(?:;[^\r\n]*)?$/;

type Framing = 'length' | 'chunked' | 'close' | 'none';
type State = 'head' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'done';

function fail(detail: string): never {
  throw new ResponseFramingError(`malformed HTTP response: ${detail}`);
}

/**
 * Reads one response. `push` each chunk in order; it returns the response
 * once complete (the rest is ignored and makes the connection not
 * reusable), else `undefined`, and throws a ResponseFramingError on bytes
 * that are not HTTP/1.1. Call `end` when the peer closes: it returns the
 * response when the body runs to the end of the connection, else
 * `undefined` (the answer was cut short, or never came: see `received`).
 */
export class Http1ResponseReader {
  private state: State = 'head';
  private pending: Buffer = EMPTY;
  private readonly parts: Buffer[] = [];
  private bodyBytes = 0;
  private remaining = 0;
  private framing: Framing = 'none';
  private status = 0;
  private headers = new Map<string, string>();
  private keepAlive = true;
  private readonly maxHead: number;
  private readonly maxBody: number;
  /** Bytes of this response received, interim answers included. */
  received = 0;

  constructor(limits: ReaderLimits = {}) {
    this.maxHead = limits.maxHeadBytes ?? 64 * 1024;
    this.maxBody = limits.maxBodyBytes ?? 64 * 1024 * 1024;
  }

  push(chunk: Buffer): Http1Response | undefined {
    if (this.state === 'done') return undefined;
    this.received += chunk.length;
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = EMPTY;
    for (;;) {
      const used = this.step(data);
      if ((this.state as State) === 'done') return this.finish(used < data.length);
      if (used === 0) {
        this.pending = data;
        return undefined;
      }
      if (used >= data.length) return undefined;
      data = data.subarray(used);
    }
  }

  end(): Http1Response | undefined {
    if (this.state === 'body' && this.framing === 'close') return this.finish(false);
    return undefined;
  }

  /** Consumes from `data`; returns the bytes used (0: wait for more). */
  private step(data: Buffer): number {
    switch (this.state) {
      case 'head':
        return this.readHead(data);
      case 'body':
        return this.readBody(data);
      case 'chunk-size':
        return this.readChunkSize(data);
      case 'chunk-data':
        return this.readChunkData(data);
      case 'chunk-end':
        return this.readChunkEnd(data);
      case 'trailers':
        return this.readTrailers(data);
      default:
        return data.length;
    }
  }

  private readHead(data: Buffer): number {
    const end = data.indexOf('\r\n\r\n', 0, 'latin1');
    if (end === -1) {
      if (data.length > this.maxHead) fail(`head over ${this.maxHead} bytes`);
      return 0;
    }
    if (end > this.maxHead) fail(`head over ${this.maxHead} bytes`);
    const lines = data.toString('latin1', 0, end).split('\r\n');
    const match = STATUS_LINE.exec(lines[0] ?? '');
    if (match === null) fail(`status line ${JSON.stringify((lines[0] ?? '').slice(0, 40))}`);
    const status = Number(match[2]);
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      // obs-fold, a bare CR or LF, or a name that is not a token: RFC 9112 §5.
      if (!FIELD_NAME.test(name) || /[\r\n]/.test(line)) fail('header field');
      const key = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      const seen = headers.get(key);
      headers.set(key, seen === undefined ? value : `${seen}, ${value}`);
    }
    const used = end + 4;
    if (status < 200) {
      if (status === 101) fail('unexpected 101 Switching Protocols');
      return used; // an interim answer: the final one follows
    }
    this.status = status;
    this.headers = headers;
    this.keepAlive =
      match[1] === '1' && !/(?:^|,)\s*close\s*(?:,|$)/i.test(headers.get('connection') ?? '');
    this.frame(headers);
    return used;
  }

  private frame(headers: Map<string, string>): void {
    const te = headers.get('transfer-encoding');
    const cl = headers.get('content-length');
    if (this.status === 204 || this.status === 304) {
      this.framing = 'none';
      this.state = 'done';
    } else if (te !== undefined) {
      const codings = te
        .toLowerCase()
        .split(',')
        .map((c) => c.trim());
      // RFC 9112 §6.3: chunked must come last; with Content-Length too, drop the connection after.
      if (cl !== undefined) this.keepAlive = false;
      if (codings[codings.length - 1] === 'chunked') {
        if (codings.length > 1) fail(`transfer-encoding ${te}`);
        this.framing = 'chunked';
        this.state = 'chunk-size';
      } else {
        fail(`transfer-encoding ${te}`);
      }
    } else if (cl !== undefined) {
      const values = new Set(cl.split(',').map((v) => v.trim()));
      const [only] = values;
      if (values.size !== 1 || only === undefined || !/^\d{1,15}$/.test(only)) {
        fail(`content-length ${cl}`);
      }
      this.remaining = Number(only);
      if (this.remaining > this.maxBody) fail(`body over ${this.maxBody} bytes`);
      this.framing = 'length';
      this.state = this.remaining === 0 ? 'done' : 'body';
    } else {
      this.framing = 'close';
      this.keepAlive = false;
      this.state = 'body';
    }
  }

  private take(data: Buffer, n: number): void {
    this.bodyBytes += n;
    if (this.bodyBytes > this.maxBody) fail(`body over ${this.maxBody} bytes`);
    this.parts.push(n === data.length ? data : data.subarray(0, n));
  }

  private readBody(data: Buffer): number {
    if (this.framing === 'close') {
      this.take(data, data.length);
      return data.length;
    }
    const n = Math.min(this.remaining, data.length);
    this.take(data, n);
    this.remaining -= n;
    if (this.remaining === 0) this.state = 'done';
    return n;
  }

  private line(data: Buffer): { text: string; used: number } | undefined {
    const lf = data.indexOf(LF);
    if (lf === -1) {
      if (data.length > 4096) fail('chunk line over 4096 bytes');
      return undefined;
    }
    if (lf === 0 || data[lf - 1] !== 0x0d) fail('chunk line without CRLF');
    return { text: data.toString('latin1', 0, lf - 1), used: lf + 1 };
  }

  private readChunkSize(data: Buffer): number {
    const line = this.line(data);
    if (line === undefined) return 0;
    const match = CHUNK_SIZE.exec(line.text);
    if (match === null) fail(`chunk size ${JSON.stringify(line.text.slice(0, 20))}`);
    this.remaining = Number.parseInt(match[1] as string, 16);
    this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
    return line.used;
  }

  private readChunkData(data: Buffer): number {
    const n = Math.min(this.remaining, data.length);
    this.take(data, n);
    this.remaining -= n;
    if (this.remaining === 0) this.state = 'chunk-end';
    return n;
  }

  private readChunkEnd(data: Buffer): number {
    if (data.length < 2) return 0;
    if (data[0] !== 0x0d || data[1] !== 0x0a) fail('chunk data without CRLF');
    this.state = 'chunk-size';
    return 2;
  }

  private readTrailers(data: Buffer): number {
    const line = this.line(data);
    if (line === undefined) return 0;
    if (line.text === '') this.state = 'done';
    return line.used;
  }

  private finish(extraBytes: boolean): Http1Response {
    this.state = 'done';
    const body =
      this.parts.length === 0
        ? EMPTY
        : this.parts.length === 1
          ? (this.parts[0] as Buffer)
          : Buffer.concat(this.parts, this.bodyBytes);
    return {
      status: this.status,
      headers: this.headers,
      body,
      reusable: this.keepAlive && this.framing !== 'close' && !extraBytes,
    };
  }
}
