// The dashboard reads agents' replies with a bound: a real HTTP server on loopback plays an
// agent that answers too much (an endless reply, a huge Content-Length, an event that never
// ends). The reader refuses with a clear error and closes the connection, so the server
// sees it go away before it could send everything; a reply within the bound still reads.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { agentRequest, MAX_REPLY_BYTES, MAX_SNAPSHOT_BYTES } from '../../lib/agent/request';
import { AgentStream, MAX_EVENT_LENGTH } from './agent-stream';
import { healthyNode1 } from '../../test/fixtures/snapshots';

const MiB = 2 ** 20;
const servers: Server[] = [];
const streams: AgentStream[] = [];

afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** Writes `chunk` until the client goes away (or `total` bytes are sent); resolves with what it sent. */
function pour(res: ServerResponse, chunk: string, total = Infinity): Promise<{ sent: number; clientLeft: boolean }> {
  return new Promise((resolve) => {
    let sent = 0;
    let left = false;
    res.once('close', () => {
      left = !res.writableFinished;
      resolve({ sent, clientLeft: left });
    });
    const more = () => {
      while (!left && sent < total) {
        const piece = chunk.slice(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!res.write(piece)) return void res.once('drain', more);
      }
      if (sent >= total) res.end();
    };
    more();
  });
}

/** An "agent" on 127.0.0.1 whose handler decides the reply; its address as the dashboard names it. */
async function fakeAgent(handler: (path: string, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => handler(req.url ?? '/', res));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const MiBText = 'x'.repeat(MiB);

describe('agent replies are read with a bound', () => {
  it('an endless snapshot reply is refused past 64 MiB, and the connection is closed', async () => {
    let poured!: Promise<{ sent: number; clientLeft: boolean }>;
    const address = await fakeAgent((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      poured = pour(res, MiBText);
    });
    await expect(agentRequest(address, 'a-token-of-sixteen', 'GET', '/v1/snapshot', undefined, 60_000)).rejects.toThrow(
      `the agent at ${address} answered GET /v1/snapshot with more than 64 MiB; a reply may hold 64 MiB: not read further`,
    );
    const { sent, clientLeft } = await poured;
    expect(clientLeft).toBe(true);
    // The server could send what the bound let in plus what the socket buffers held, no more.
    expect(sent).toBeLessThan(MAX_SNAPSHOT_BYTES + 32 * MiB);
  });

  it('a probe reply is bounded tighter (4 MiB), while a snapshot that large still reads', async () => {
    const body = JSON.stringify({ pad: 'y'.repeat(5 * MiB) });
    const address = await fakeAgent((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      void pour(res, body, body.length);
    });
    await expect(agentRequest(address, null, 'POST', '/v1/probe', { kind: 'ping' }, 30_000)).rejects.toThrow(
      /answered POST \/v1\/probe with more than 4 MiB; a reply may hold 4 MiB/,
    );
    const ok = await agentRequest(address, null, 'GET', '/v1/snapshot', undefined, 30_000);
    expect(ok.status).toBe(200);
    expect((ok.body as { pad: string }).pad).toHaveLength(5 * MiB);
    expect(5 * MiB).toBeGreaterThan(MAX_REPLY_BYTES);
  });

  it('a Content-Length above the bound is refused before any of the body is read', async () => {
    let poured!: Promise<{ sent: number; clientLeft: boolean }>;
    const address = await fakeAgent((_path, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(100 * 1024 * MiB) });
      poured = pour(res, MiBText);
    });
    await expect(agentRequest(address, null, 'POST', '/v1/lookup', { lookups: [] }, 30_000)).rejects.toThrow(
      /answered POST \/v1\/lookup with 107374182400 bytes \(its Content-Length\)/,
    );
    expect((await poured).clientLeft).toBe(true);
  });

  it('an event stream whose event never ends is closed at the bound with a clear error; the next connection is read', async () => {
    let connections = 0;
    let poured!: Promise<{ sent: number; clientLeft: boolean }>;
    const snapshot = healthyNode1;
    const address = await fakeAgent((_path, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (++connections === 1) {
        res.write('event: snapshot\nid: b:1\ndata: {"pad":"');
        poured = pour(res, MiBText);
      } else res.write(`event: snapshot\nid: b:1\ndata: ${JSON.stringify({ seq: 1, snapshot })}\n\n`);
    });
    const errors: string[] = [];
    const stream: AgentStream = new AgentStream(
      address,
      () => null,
      () => {
        const s = stream?.status();
        if (s?.error) errors.push(s.error);
      },
    );
    streams.push(stream);
    await expect.poll(() => errors.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(errors[0]).toBe(
      `the agent at ${address} sent an event longer than ${MAX_EVENT_LENGTH} characters, the most an event may hold: the stream was closed (is that address really a podnet agent?)`,
    );
    const { sent, clientLeft } = await poured;
    expect(clientLeft).toBe(true);
    expect(sent).toBeLessThan(MAX_EVENT_LENGTH + 32 * MiB);
    // Reconnected (the back-off is short at first), it reads a proper snapshot and is live.
    await expect.poll(() => stream.status().state, { timeout: 30_000 }).toBe('live');
    expect(stream.snapshot?.node.name).toBe('node1');
  });
});
