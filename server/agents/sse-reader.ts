// Reads a server-sent event stream chunk by chunk into whole events, holding at most one
// event's worth of text: a peer that sends an event (or a line) without end is refused at
// the bound instead of growing the dashboard's memory. Each chunk is scanned once.

export interface SseEvent {
  event: string;
  id: string | null;
  data: string;
}

export class SseTooLargeError extends Error {}

export class SseReader {
  /** the unfinished event's text, as it came: joined once, when the event ends (appending
   *  to one string and searching it would copy the whole of it for every chunk) */
  private parts: string[] = [];
  private held = 0;
  private endsInNewline = false;

  constructor(
    /** the most one event may hold, in UTF-16 code units (bytes for the ASCII of JSON) */
    private readonly maxEventLength: number,
    private readonly onEvent: (e: SseEvent) => void,
  ) {}

  /** Feeds decoded text; throws SseTooLargeError when an unfinished event passes the bound. */
  push(chunk: string): void {
    let from = 0;
    for (;;) {
      let block: string;
      if (from === 0 && this.endsInNewline && chunk.startsWith('\n')) {
        block = this.take('').slice(0, -1); // the blank line straddles two chunks
        from = 1;
      } else {
        const end = chunk.indexOf('\n\n', from);
        if (end < 0) break;
        block = this.take(chunk.slice(from, end));
        from = end + 2;
      }
      const e = parseBlock(block);
      if (e) this.onEvent(e);
    }
    const rest = chunk.slice(from);
    if (!rest) return;
    this.parts.push(rest);
    this.held += rest.length;
    this.endsInNewline = rest.endsWith('\n');
    if (this.held > this.maxEventLength) {
      this.take('');
      throw new SseTooLargeError(`an event longer than ${this.maxEventLength} characters, the most an event may hold`);
    }
  }

  private take(tail: string): string {
    const text = this.parts.join('') + tail;
    this.parts = [];
    this.held = 0;
    this.endsInNewline = false;
    return text;
  }
}

function parseBlock(block: string): SseEvent | null {
  let event = '';
  let id: string | null = null;
  let data = '';
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data += value;
  }
  return event ? { event, id, data } : null;
}
