// The SSE reader gives the same events however the stream is cut into chunks, and refuses
// an event past its bound without keeping it.
import { describe, expect, it } from 'vitest';
import { SseReader, SseTooLargeError, type SseEvent } from './sse-reader';

const stream =
  'retry: 1000\n\nevent: snapshot\nid: b:1\ndata: {"seq":1}\n\n: heartbeat\n\nevent: diff\nid: b:2\ndata: {"seq":2}\n\nevent: diff\nid: b:3\ndata: {"seq":3}\n\n';
const expected: SseEvent[] = [
  { event: 'snapshot', id: 'b:1', data: '{"seq":1}' },
  { event: 'diff', id: 'b:2', data: '{"seq":2}' },
  { event: 'diff', id: 'b:3', data: '{"seq":3}' },
];

function read(chunks: string[], max = 1000): SseEvent[] {
  const out: SseEvent[] = [];
  const r = new SseReader(max, (e) => out.push(e));
  for (const c of chunks) r.push(c);
  return out;
}

describe('SseReader', () => {
  it('reads the same events wherever the chunks are cut, blank lines across chunks too', () => {
    expect(read([stream])).toEqual(expected);
    expect(read([...stream])).toEqual(expected);
    for (let i = 1; i < stream.length; i++)
      expect(read([stream.slice(0, i), stream.slice(i)]), `cut at ${i}`).toEqual(expected);
  });

  it('refuses an event past the bound, then reads on from the next one', () => {
    const out: SseEvent[] = [];
    const r = new SseReader(100, (e) => out.push(e));
    r.push('event: diff\ndata: ');
    expect(() => r.push('x'.repeat(200))).toThrow(SseTooLargeError);
    expect(() => r.push('x'.repeat(200))).toThrow('an event longer than 100 characters, the most an event may hold');
    r.push('\n\nevent: diff\nid: b:9\ndata: {}\n\n');
    expect(out).toEqual([{ event: 'diff', id: 'b:9', data: '{}' }]);
  });
});
