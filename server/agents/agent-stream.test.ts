// An AgentStream reads a real event stream from a fake agent on a unix socket, and what
// the agent sends is checked before it is used: an invalid snapshot or diff makes that
// node unreachable with what failed, its "agent does not answer" finding says so, and
// the next connection asks for a fresh snapshot instead of resuming past the bad event.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { diffSnapshots, type Change } from '../../lib/model/diff';
import type { NodeSnapshot } from '../../lib/model/snapshot';
import type { ClusterNode } from '../../lib/model/topology';
import { healthyNode1 } from '../../test/fixtures/snapshots';
import { mergeTopology } from '../topology/merge';
import { AgentStream } from './agent-stream';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Connection {
  lastEventId: string | undefined;
  res: ServerResponse;
}

/** An "agent" on a unix socket that answers GET /v1/events with `onConnect`'s events and
 *  keeps the stream open; every connection is recorded. */
async function fakeAgent(onConnect: (n: number, send: (event: string, id: string, body: unknown) => void) => void) {
  const dir = mkdtempSync(join(tmpdir(), 'podnet-agent-stream-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const connections: Connection[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    connections.push({ lastEventId: req.headers['last-event-id'] as string | undefined, res });
    onConnect(connections.length, (event, id, body) =>
      res.write(`event: ${event}\nid: ${id}\ndata: ${JSON.stringify(body)}\n\n`),
    );
  });
  const path = join(dir, 'agent.sock');
  await new Promise<void>((r) => server.listen(path, r));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  return { address: `unix:${path}`, connections };
}

function follow(address: string): AgentStream {
  const stream = new AgentStream(
    address,
    () => 'a-token-of-sixteen',
    () => {},
  );
  cleanups.push(() => stream.close());
  return stream;
}

const node1: ClusterNode = {
  name: 'node1',
  ip: '192.168.1.11',
  podCIDR: '10.244.1.0/24',
  ready: true,
  conditions: [],
  agent: null,
};

/** The finding the merge makes of this stream's node. */
function agentFinding(stream: AgentStream) {
  const t = mergeTopology(
    {
      info: { source: 'lab', name: 'test', routing: 'host-gw', podNetwork: null },
      plane: { nodes: [{ ...node1, agent: stream.address }], pods: [], router: null },
      agents: new Map([['node1', { status: stream.status(), snapshot: stream.snapshot }]]),
      problems: [],
    },
    false,
  );
  return { topology: t, finding: t.findings.find((f) => f.id === 'node1/agent-unreachable') };
}

const web2 = {
  ...healthyNode1.pods[0]!,
  name: 'web-2',
  containerID: 'c2',
  ip: '10.244.1.3',
  hostVeth: 'veth0000000000b',
};
const withWeb2: NodeSnapshot = { ...healthyNode1, pods: [...healthyNode1.pods, web2] };

describe('AgentStream checks what the agent sends', () => {
  it('a valid snapshot and diff are applied and the node is live', async () => {
    const agent = await fakeAgent((_n, send) => {
      send('snapshot', 'boot:1', { seq: 1, snapshot: healthyNode1 });
      send('diff', 'boot:2', { seq: 2, changes: diffSnapshots(healthyNode1, withWeb2) });
    });
    const stream = follow(agent.address);
    await expect.poll(() => stream.snapshot?.pods.length, { timeout: 10_000 }).toBe(2);
    expect(stream.status()).toMatchObject({ state: 'live', error: null });
    expect(stream.snapshot).toEqual(withWeb2);
    expect(agentFinding(stream).finding).toBeUndefined();
  });

  it('an invalid snapshot: the node is unreachable, the finding names the field, nothing of it is kept', async () => {
    const bad = { ...healthyNode1, pods: [{ ...healthyNode1.pods[0], ip: 'not-an-ip' }] };
    const agent = await fakeAgent((_n, send) => send('snapshot', 'boot:1', { seq: 1, snapshot: bad }));
    const stream = follow(agent.address);
    await expect.poll(() => stream.status().state, { timeout: 10_000 }).toBe('unreachable');
    const error = `the agent at ${agent.address} sent an invalid snapshot event: pods[0].ip: must be an IPv4 address, got "not-an-ip"`;
    expect(stream.status().error).toBe(error);
    expect(stream.snapshot).toBeNull();
    const { topology, finding } = agentFinding(stream);
    expect(finding).toMatchObject({ severity: 'error', actual: error });
    expect(finding!.message).toMatch(/^node1's agent does not answer since /);
    expect(topology.nodes[0]!.health).toBe('unreachable');
  });

  it('an invalid diff: the node is unreachable with the change named, the last good snapshot stays, and the next connection starts afresh', async () => {
    // an agent whose diff gives the new pod a number for its IP, once; then a proper agent
    const badChanges = diffSnapshots(healthyNode1, withWeb2).map((c) =>
      c.collection === 'pods' && c.op === 'added' ? { ...c, value: { ...web2, ip: 167_837_955 } } : c,
    );
    const agent = await fakeAgent((n, send) => {
      if (n === 1) {
        send('snapshot', 'boot:1', { seq: 1, snapshot: healthyNode1 });
        send('diff', 'boot:2', { seq: 2, changes: badChanges });
      } else send('snapshot', 'boot:3', { seq: 3, snapshot: withWeb2 });
    });
    const errors: string[] = [];
    const stream = new AgentStream(
      agent.address,
      () => null,
      () => {
        const e = stream?.status().error;
        if (e) errors.push(e);
      },
    );
    cleanups.push(() => stream.close());
    await expect.poll(() => errors.length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(errors[0]).toBe(
      `the agent at ${agent.address} sent an invalid diff event: changes[0] (added pods "c2 eth0"): ip: Invalid input: expected string, received number`,
    );
    // the finding while it is unreachable: the last good snapshot is shown, and why
    await expect.poll(() => agent.connections.length, { timeout: 10_000 }).toBe(2);
    // resumed past nothing: the bad event's id was not kept, so the agent sends a snapshot
    expect(agent.connections.map((c) => c.lastEventId)).toEqual([undefined, undefined]);
    await expect.poll(() => stream.status().state, { timeout: 10_000 }).toBe('live');
    expect(stream.snapshot).toEqual(withWeb2);
  });

  it('keeps the last good snapshot while unreachable after an invalid diff, and says so', async () => {
    const agent = await fakeAgent((n, send) => {
      if (n > 1) return; // later connections get nothing: the node stays unreachable
      send('snapshot', 'boot:1', { seq: 1, snapshot: healthyNode1 });
      // a change whose key is not its object's: applied, it would replace another pod
      send('diff', 'boot:2', {
        seq: 2,
        changes: [{ collection: 'pods', op: 'changed', key: 'c1 eth0', value: web2 }] satisfies Change[],
      });
    });
    const stream = follow(agent.address);
    await expect.poll(() => stream.status().state, { timeout: 10_000 }).toBe('unreachable');
    expect(stream.status().error).toBe(
      `the agent at ${agent.address} sent an invalid diff event: changes[0] (changed pods "c1 eth0"): the object's own key is "c2 eth0"`,
    );
    expect(stream.snapshot).toEqual(healthyNode1);
    const { finding } = agentFinding(stream);
    expect(finding!.message).toContain('what is shown for this node is its last snapshot');
    expect(finding!.actual).toContain('invalid diff event');
  });
});
