import { describe, expect, it } from 'vitest';
import { readErrorBody, redact } from '../../../lib/huawei/error-body.ts';

describe('readErrorBody', () => {
  it('reads the three error-body shapes', () => {
    expect(readErrorBody('{"error_code":"APS.1","error_msg":"m","request_id":"r1"}')).toEqual({
      code: 'APS.1',
      message: 'm',
      requestId: 'r1',
    });
    expect(readErrorBody('{"code":"C","message":"m2"}')).toEqual({
      code: 'C',
      message: 'm2',
      requestId: undefined,
    });
    expect(readErrorBody('{"error":{"code":"E","message":"m3"}}')).toEqual({
      code: 'E',
      message: 'm3',
      requestId: undefined,
    });
  });

  it('gives nothing for a body that is not JSON or of an unknown shape', () => {
    const none = { code: undefined, message: undefined, requestId: undefined };
    expect(readErrorBody('<html>bad gateway</html>')).toEqual(none);
    expect(readErrorBody('{"what":"ever"}')).toEqual(none);
  });
});

describe('redact', () => {
  it('replaces every secret of four or more characters and bounds the length', () => {
    expect(redact('key AKID1234 and AKID1234 and abc', ['AKID1234', 'abc'])).toBe(
      'key [redacted] and [redacted] and abc',
    );
    const long = redact('x'.repeat(900), []);
    expect(long?.length).toBe(501);
    expect(redact(undefined, ['AKID1234'])).toBeUndefined();
  });
});
