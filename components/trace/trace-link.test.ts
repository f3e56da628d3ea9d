import { describe, expect, it } from 'vitest';
import { formatTraceParam, parsePortInput, parseTraceParam, traceLink } from './trace-link';

describe('?trace=', () => {
  it('reads FROM,TO and FROM,TO,PORT', () => {
    expect(parseTraceParam('default/web-1,default/web-3')).toEqual({
      from: 'default/web-1',
      to: 'default/web-3',
      port: null,
    });
    expect(parseTraceParam('default/web-1,10.244.2.200,8080')).toEqual({
      from: 'default/web-1',
      to: '10.244.2.200',
      port: 8080,
    });
    expect(parseTraceParam(' web-1 , web-3 ')).toEqual({ from: 'web-1', to: 'web-3', port: null });
  });

  it('ignores what is not a trace (the server checks the names themselves)', () => {
    for (const bad of [null, '', 'web-1', 'web-1,', ',web-3', 'a,b,c,d', 'a,b,0', 'a,b,65536', 'a,b,80x'])
      expect(parseTraceParam(bad)).toBeNull();
  });

  it('writes what it reads', () => {
    for (const v of ['default/web-1,default/web-3', 'team-a/api,10.244.2.200,443'])
      expect(formatTraceParam(parseTraceParam(v)!)).toBe(v);
  });

  it('a link keeps "/" "," and ":" readable and escapes the rest', () => {
    expect(
      traceLink('http://127.0.0.1:3000/portal/podnet/', { from: 'default/web-1', to: 'default/web-3', port: null }),
    ).toBe('http://127.0.0.1:3000/portal/podnet/?trace=default/web-1,default/web-3');
    expect(traceLink('http://h/', { from: 'a&b', to: 'c d', port: 80 })).toBe('http://h/?trace=a%26b,c%20d,80');
  });
});

describe('the port box', () => {
  it('empty is no port; a number 1–65535 is one; anything else says what was wrong', () => {
    expect(parsePortInput(' ')).toEqual({ ok: true, port: null });
    expect(parsePortInput('443')).toEqual({ ok: true, port: 443 });
    expect(parsePortInput('0')).toMatchObject({ ok: false, error: expect.stringContaining('"0"') });
    expect(parsePortInput('80; reboot')).toMatchObject({ ok: false, error: expect.stringContaining('1 to 65535') });
  });
});
