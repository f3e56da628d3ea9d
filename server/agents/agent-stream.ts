// One node's agent, followed over its event stream (GET /v1/events): the snapshot, then
// diffs applied with the same applyChanges the agent's own tests use. Reconnects with
// exponential back-off and Last-Event-ID, so a short outage costs only the missed diffs;
// says at every moment whether the agent is live, being connected to, or unreachable.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { applyChanges, type Change } from '../../lib/model/diff';
import type { NodeSnapshot } from '../../lib/model/snapshot';
import type { AgentState, AgentStatus } from '../../lib/model/topology';
import { parseAgentAddress, type AgentTarget } from '../../lib/agent/request';

/** The agent sends a heartbeat every 15 s: twice that without a byte means it is gone. */
const SILENCE_MS = 35_000;
const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 10_000;

export class AgentStream {
  snapshot: NodeSnapshot | null = null;
  private state: AgentState = 'connecting';
  private since = new Date().toISOString();
  private error: string | null = null;
  private lastEventId: string | null = null;
  private req: ClientRequest | null = null;
  private retry: NodeJS.Timeout | null = null;
  private silence: NodeJS.Timeout | null = null;
  private backoff = BACKOFF_START_MS;
  private closed = false;

  constructor(
    readonly address: string,
    private readonly token: () => string | null,
    private readonly changed: () => void,
  ) {
    this.connect();
  }

  status(): AgentStatus {
    return { address: this.address, state: this.state, since: this.since, error: this.error };
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    if (this.silence) clearTimeout(this.silence);
    this.req?.destroy();
  }

  private setState(state: AgentState, error: string | null): void {
    if (state === this.state && error === this.error) return;
    if (state !== this.state) this.since = new Date().toISOString();
    this.state = state;
    this.error = error;
    this.changed();
  }

  private connect(): void {
    if (this.closed) return;
    let target: AgentTarget;
    try {
      target = parseAgentAddress(this.address);
    } catch (e) {
      return this.setState('unreachable', (e as Error).message);
    }
    const token = this.token();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const req = request({ ...target, path: '/v1/events', headers }, (res) => this.onResponse(res));
    this.req = req;
    req.on('error', (e) => this.fail(`cannot reach the agent at ${this.address}: ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    req.end();
  }

  private onResponse(res: IncomingMessage): void {
    if (res.statusCode !== 200) {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d.slice(0, 2000)));
      res.on('end', () => {
        let reason = text.trim();
        try {
          reason = (JSON.parse(text) as { error?: string }).error ?? reason;
        } catch {}
        this.fail(`the agent at ${this.address} answered ${res.statusCode}: ${reason}`);
      });
      return;
    }
    this.backoff = BACKOFF_START_MS;
    this.armSilence();
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.armSilence();
      buf += chunk;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        this.onBlock(buf.slice(0, end));
        buf = buf.slice(end + 2);
      }
    });
    res.on('close', () => this.fail(`the agent at ${this.address} closed its event stream`));
  }

  private onBlock(block: string): void {
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
    if (!event) return;
    try {
      const body = JSON.parse(data) as { snapshot?: NodeSnapshot; changes?: Change[] };
      if (event === 'snapshot' && body.snapshot) this.snapshot = body.snapshot;
      else if (event === 'diff' && body.changes && this.snapshot) this.snapshot = applyChanges(this.snapshot, body.changes);
      else return;
    } catch (e) {
      // A body we cannot read is not trusted: drop the stream and start again from a snapshot.
      this.lastEventId = null;
      this.req?.destroy();
      return this.fail(`the agent at ${this.address} sent an unreadable ${event} event: ${(e as Error).message}`);
    }
    if (id) this.lastEventId = id;
    if (this.state !== 'live' || this.error !== null) this.setState('live', null);
    else this.changed();
  }

  private armSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => {
      this.req?.destroy();
      this.fail(`the agent at ${this.address} sent nothing for ${SILENCE_MS / 1000} s`);
    }, SILENCE_MS);
    this.silence.unref();
  }

  private fail(reason: string): void {
    if (this.closed) return;
    if (this.silence) clearTimeout(this.silence);
    this.req = null;
    this.setState('unreachable', reason);
    if (this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, this.backoff);
    this.retry.unref();
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
  }
}
