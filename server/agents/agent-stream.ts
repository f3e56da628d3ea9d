// One node's agent, followed over its event stream (GET /v1/events): the snapshot, then
// diffs applied with the same applyChanges the agent's own tests use. Reconnects with
// exponential back-off and Last-Event-ID, so a short outage costs only the missed diffs;
// says at every moment whether the agent is live, being connected to, or unreachable.
// What the agent sends is parsed before it is used (lib/model/snapshot-schema.ts): a
// snapshot event whole, a diff event change by change. An event that fails is a problem
// of this node only: the stream is closed and the node unreachable, with what failed.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { applyChanges } from '../../lib/model/diff';
import type { NodeSnapshot } from '../../lib/model/snapshot';
import { parseChanges, parseNodeSnapshot } from '../../lib/model/snapshot-schema';
import type { AgentState, AgentStatus } from '../../lib/model/topology';
import { MAX_SNAPSHOT_BYTES, openAgentRequest, parseAgentAddress, type AgentTarget } from '../../lib/agent/request';
import { SseReader, SseTooLargeError, type SseEvent } from './sse-reader';

/** The agent sends a heartbeat every 15 s: twice that without a byte means it is gone. */
const SILENCE_MS = 35_000;
const BACKOFF_START_MS = 250;
const BACKOFF_MAX_MS = 10_000;
/** A snapshot event carries a whole snapshot: the bound of GET /v1/snapshot's reply. */
export const MAX_EVENT_LENGTH = MAX_SNAPSHOT_BYTES;
/** Of a refusal's body, only this much is kept for the message. */
const ERROR_TEXT_MAX = 2000;

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
    let req: ClientRequest;
    try {
      req = openAgentRequest(target, { path: '/v1/events', headers }, (res) => this.onResponse(res));
    } catch (e) {
      return this.fail((e as Error).message); // the agents' CA file cannot be read
    }
    this.req = req;
    req.on('error', (e) =>
      this.fail(`cannot reach the agent at ${this.address}: ${(e as NodeJS.ErrnoException).code ?? e.message}`),
    );
    req.end();
  }

  private onResponse(res: IncomingMessage): void {
    // One failure per response: destroying it also ends it, and that must not overwrite the reason.
    let failed = false;
    const failHere = (reason: string) => {
      if (failed) return;
      failed = true;
      this.fail(reason);
    };
    if (res.statusCode !== 200) {
      let text = '';
      const refused = () => {
        let reason = text.trim();
        try {
          reason = (JSON.parse(text) as { error?: string }).error ?? reason;
        } catch {
          /* not JSON: the status line says enough */
        }
        failHere(`the agent at ${this.address} answered ${res.statusCode}: ${reason}`);
      };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d.slice(0, ERROR_TEXT_MAX - text.length);
        if (text.length < ERROR_TEXT_MAX) return;
        refused(); // enough to say why; the rest is not read
        res.destroy();
      });
      res.on('end', refused);
      return;
    }
    this.armSilence();
    const reader = new SseReader(MAX_EVENT_LENGTH, (e) => this.onEvent(e));
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      if (failed) return;
      this.armSilence();
      try {
        reader.push(chunk);
      } catch (e) {
        // An event too large, unreadable or invalid is not trusted, and nothing of it is kept:
        // close the stream; the next connection starts from a fresh snapshot.
        this.lastEventId = null;
        res.destroy();
        const why =
          e instanceof SseTooLargeError
            ? `${e.message}: the stream was closed (is that address really a podnet agent?)`
            : (e as Error).message;
        failHere(`the agent at ${this.address} sent ${why}`);
      }
    });
    res.on('close', () => failHere(`the agent at ${this.address} closed its event stream`));
  }

  /** Throws when the event cannot be read or is not what an agent sends. */
  private onEvent({ event, id, data }: SseEvent): void {
    if (event !== 'snapshot' && event !== 'diff') return;
    let body: { snapshot?: unknown; changes?: unknown } | null;
    try {
      body = JSON.parse(data) as typeof body;
    } catch (e) {
      throw new Error(`an unreadable ${event} event: ${(e as Error).message}`);
    }
    if (event === 'snapshot') {
      const parsed = parseNodeSnapshot(body?.snapshot);
      if (!parsed.ok) throw new Error(`an invalid snapshot event: ${parsed.error}`);
      this.snapshot = parsed.value;
    } else {
      if (!this.snapshot) return; // nothing to apply it to: the agent sends a snapshot first
      const parsed = parseChanges(body?.changes);
      if (!parsed.ok) throw new Error(`an invalid diff event: ${parsed.error}`);
      this.snapshot = applyChanges(this.snapshot, parsed.value);
    }
    // Only an event that was read resets the back-off: an agent that answers 200 and then
    // sends what cannot be used is retried ever more slowly, not four times a second.
    this.backoff = BACKOFF_START_MS;
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
