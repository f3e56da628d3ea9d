// /v1/events under readers that stop reading: 50 clients connect and then never read
// another byte while 100 pods come and go through the CNI fast path. The agent must not
// queue every change for each of them (it is root, and it serves the fast path too): it
// drops them, its memory stays bounded, the fast path serves every verb, and a live
// reader keeps an exact view. Above the client cap a new stream gets a clear 503.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSocket } from '../lab/agents.js';
import { readInventory, type LabInventory } from '../lab/inventory.js';
import { labDown, labUp } from '../lab/lab.js';
import { labPaths, nodeDir } from '../lab/paths.js';
import { podAdd, podDel } from '../lab/pods.js';
import { call, subscribe } from '../test/agent-client.js';
import { servedBy } from '../test/cni.js';
import { MAX_EVENT_CLIENTS } from './server.js';

const p = labPaths(`h3a${randomBytes(2).toString('hex')}`);
const sock = () => agentSocket(p, 'node1');
let lab: LabInventory;
let token: string;

/** The agent's resident memory, from the kernel. */
function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for PID ${pid}`);
  return Number(m[1]) * 1024;
}

/** A raw client of /v1/events that reads the response head and then stops reading: its
 *  socket is paused, so the kernel's buffers fill and the agent's writes back up. */
function stalledReader(): Promise<{ socket: Socket; head: string; received: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: sock() });
    let received = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {}); // the agent dropping it is what we expect
    // Connection: close, so that a refusal ends with the connection and nothing can hang.
    socket.once('connect', () =>
      socket.write(
        `GET /v1/events HTTP/1.1\r\nHost: agent\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const onData = (d: string) => {
      received += d;
      if (!received.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve({ socket, head: received.slice(0, received.indexOf('\r\n')), received });
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`closed before the response head: ${received}`)));
  });
}

/** The whole of a reply that ends (a refusal), read from a raw request. */
async function readToEnd(r: { socket: Socket; received: string }): Promise<string> {
  let text = r.received;
  r.socket.on('data', (d: string) => (text += d));
  r.socket.resume();
  await new Promise((resolve) => r.socket.once('close', resolve));
  return text;
}

const clientsGauge = async (): Promise<number> =>
  Number(/^podnet_agent_clients\{[^}]*\} (\d+)$/m.exec((await call(sock(), token, 'GET', '/metrics')).text)?.[1]);

describe('/v1/events with stalled readers', () => {
  beforeAll(async () => {
    lab = (await labUp(p, { nodes: 1, podsPerNode: 0, routing: 'host-gw' }, () => {})).inventory;
    token = readFileSync(lab.tokenFile!, 'utf8').trim();
  }, 120_000);
  afterAll(async () => {
    await labDown(p);
  }, 60_000);

  it('drops 50 stalled readers while 100 pods come and go; memory stays bounded, the fast path serves every verb', async () => {
    const pid = readInventory(p)!.agents.node1!.pid;
    const sockets: Socket[] = [];
    const live = subscribe(sock(), token);
    const pods: string[] = [];
    try {
      await live.waitFor(() => true);
      for (let i = 0; i < 50; i++) {
        const r = await stalledReader();
        expect(r.head).toBe('HTTP/1.1 200 OK');
        sockets.push(r.socket);
      }
      // Fill the agent up to its cap: one more is refused, saying why.
      const extra: Socket[] = [];
      for (let i = 51; i < MAX_EVENT_CLIENTS; i++) extra.push((await stalledReader()).socket);
      expect(await clientsGauge()).toBe(MAX_EVENT_CLIENTS);
      const refused = await stalledReader();
      sockets.push(refused.socket);
      expect(refused.head).toBe('HTTP/1.1 503 Service Unavailable');
      expect(await readToEnd(refused)).toMatch(
        new RegExp(`"error":"this agent already serves ${MAX_EVENT_CLIENTS} event streams`),
      );
      for (const s of extra) s.destroy();
      await expect.poll(clientsGauge, { timeout: 10_000 }).toBe(51);

      // A raw reader that keeps reading: how many bytes each stalled reader was owed.
      const counter = await stalledReader();
      sockets.push(counter.socket);
      let streamed = 0;
      counter.socket.on('data', (d: string) => (streamed += Buffer.byteLength(d)));
      counter.socket.resume();
      const before = rssBytes(pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 50);
      try {
        for (let i = 0; i < 100; i++) {
          const name = `churn-${i}`;
          await podAdd(p, name, 'node1');
          pods.push(name);
        }
        await live.waitFor((v) => v.pods.length === 100);
        for (const name of [...pods]) {
          await podDel(p, name);
          pods.splice(pods.indexOf(name), 1);
        }
        await live.waitFor((v) => v.pods.length === 0 && !v.links.some((l) => l.kind === 'veth' && l.name !== 'eth0'));
      } finally {
        clearInterval(sampler);
      }
      console.log(
        `agent RSS ${(before / 2 ** 20).toFixed(1)} MiB → peak ${(peak / 2 ** 20).toFixed(1)} MiB; ${live.kinds.length} events, ${(streamed / 2 ** 20).toFixed(1)} MiB to each reader`,
      );

      // Every stalled reader was dropped by the agent; the live one is still served.
      await expect.poll(clientsGauge, { timeout: 10_000 }).toBe(2); // the live reader and the counting one
      const dropped = readFileSync(`${nodeDir(p, 'node1')}/agent.log`, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"events client dropped'));
      expect(dropped.length).toBe(50);
      const metrics = (await call(sock(), token, 'GET', '/metrics')).text;
      expect(metrics).toMatch(/^podnet_agent_clients_dropped_total\{[^}]*\} 50$/m);
      console.log(`first drop: ${dropped[0]}`);
      // The agent's own work for 200 verbs grows its heap by some tens of MiB; the bound is
      // generous so that it does not depend on the garbage collector's timing.
      expect(peak - before, `RSS ${before} → peak ${peak}`).toBeLessThan(160 * 1024 * 1024);
      // The fast path kept serving: every verb completed, and the agent served them. The
      // shim falls back to the plugin when the agent predicts a wait (its answer to a busy
      // machine, which this shared one may be), so a few fall-backs are not a failure; an
      // agent stalled by its clients would serve none.
      const verbs = servedBy(nodeDir(p, 'node1'));
      expect([...verbs.keys()].filter((k) => /^(ADD|DEL) /.test(k))).toHaveLength(200);
      const viaAgent = [...verbs.values()].filter((v) => v === 'agent').length;
      console.log(`${viaAgent} of 200 verbs through the agent`);
      expect(viaAgent).toBeGreaterThan(100);
      // The slots came back: a new client gets a snapshot that matches the live view.
      const again = subscribe(sock(), token);
      try {
        const view = await again.waitFor(() => true);
        expect(view.links.map((l) => l.name).sort()).toEqual(live.view!.links.map((l) => l.name).sort());
      } finally {
        again.close();
      }
    } finally {
      live.close();
      for (const s of sockets) s.destroy();
      for (const name of pods) await podDel(p, name).catch(() => {});
    }
  }, 600_000);
});
