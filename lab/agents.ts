// The lab's agents: one `podnet agent` per node, inside the node's namespace, serving a
// unix socket only root can open, with a random bearer token in a 0600 file. They outlive
// the command that started them; their PIDs (and start times) are in the inventory, so a
// lab whose agents died is recognised and repaired, and `lab down` stops exactly them.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { recordProcess, stillRunning, type ProcessRecord } from '../lib/proc/identity.js';
import { sleepSync } from '../lib/proc/sleep.js';
import type { LabNode } from '../lib/model/lab.js';
import { verifierOf } from '../agent/credentials.js';
import { podnetCommand } from '../cni/bundles.js';
import { LabError } from './errors.js';
import { labAgentArgs } from './kube-lab.js';
import type { LabInventory } from './inventory.js';
import { labFiles, nodeDir, type LabPaths } from './paths.js';

export const agentSocket = (p: LabPaths, node: string) => join(nodeDir(p, node), 'agent.sock');
export const tokenFile = (p: LabPaths) => join(p.stateDir, 'agent.token');
/** What the agents hold: the token's verifier (agent/credentials.ts), not the token. */
export const verifierFile = (p: LabPaths) => join(p.stateDir, 'agent.verifier');

export function ensureToken(p: LabPaths): string {
  const file = tokenFile(p);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  writeFileSync(verifierFile(p), `${verifierOf(readFileSync(file, 'utf8').trim())}\n`, { mode: 0o600 });
  return file;
}

export const cniSocket = (p: LabPaths, node: string) => join(nodeDir(p, node), 'cni.sock');

// The agent runs as this podnet does (the built CLI, or the sources through tsx), from this
// checkout: its CNI fast path finds its verb thread's bundle and the spawn helper
// (.build/podnet-spawn) relative to the repository.

export function startNodeAgent(p: LabPaths, inv: LabInventory, node: LabNode): ProcessRecord {
  const dir = nodeDir(p, node.name);
  const log = openSync(join(dir, 'agent.log'), 'a');
  const socket = agentSocket(p, node.name);
  // The Kubernetes-shaped lab runs the DaemonSet's agent; the plain lab's learns the other
  // nodes from the lab's inventory.
  const agentArgs = inv.kube
    ? labAgentArgs(p, node, socket, verifierFile(p))
    : [
        'agent',
        '--node',
        node.name,
        '--listen',
        `unix:${socket}`,
        '--token-file',
        verifierFile(p),
        '--conflist',
        join(dir, 'net.d', '10-podnet.conflist'),
        '--lab-inventory',
        labFiles(p).inventory,
        '--cni-socket',
        cniSocket(p, node.name),
      ];
  const args = [`--net=/run/netns/${node.netns}`, '--', ...podnetCommand(), ...agentArgs];
  // nsenter execs node, so the PID is the agent's own. Detached: it outlives this command.
  const child = spawn('nsenter', args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  child.unref();
  closeSync(log);
  node.agent = `unix:${socket}`;
  inv.tokenFile = tokenFile(p);
  // The start time is fixed at fork, so reading it before nsenter has exec'd node is fine.
  return recordProcess(child.pid!);
}

export function stopAgents(agents: ProcessRecord[]): void {
  const live = agents.filter(stillRunning);
  for (const a of live) process.kill(a.pid, 'SIGTERM');
  for (let i = 0; i < 50 && live.some(stillRunning); i++) sleepSync(100);
  for (const a of live) if (stillRunning(a)) process.kill(a.pid, 'SIGKILL');
}

function healthz(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/healthz', timeout: 1000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"ready":true')));
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** An agent that would not start or converge: the lab cannot be trusted until it does. */
export class AgentStartError extends LabError {}

function podSubnetsRouted(netns: string): Set<string> {
  const r = spawnSync('ip', ['-n', netns, '-j', 'route', 'show'], { encoding: 'utf8' });
  return new Set((JSON.parse(r.stdout || '[]') as { dst: string }[]).map((x) => x.dst));
}

/** host-gw: waits until every node's agent has put in (and taken out) the routes the
 *  inventory asks for, so the lab is usable the moment a command returns. */
export async function waitForRoutes(inv: LabInventory, gone: string[] = [], timeoutMs = 15_000): Promise<void> {
  if (inv.routing !== 'host-gw') return;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const wrong = inv.nodes.filter((n) => {
      const have = podSubnetsRouted(n.netns);
      return inv.nodes.some((o) => o !== n && !have.has(o.podCIDR)) || gone.some((c) => have.has(c));
    });
    if (!wrong.length) return;
    if (Date.now() > deadline)
      throw new AgentStartError(
        `the agents of ${wrong.map((n) => n.name).join(', ')} did not set the host-gw routes within ${timeoutMs / 1000} s: see their agent.log`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Waits until every agent answers /healthz with its first snapshot taken. */
export async function waitForAgents(
  p: LabPaths,
  nodes: LabNode[],
  agents: Record<string, ProcessRecord>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(nodes.map((n) => n.name));
  while (pending.size) {
    for (const name of [...pending]) {
      if (!stillRunning(agents[name])) {
        const log = join(nodeDir(p, name), 'agent.log');
        const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
        throw new AgentStartError(`the agent of ${name} exited: ${tail || 'no log'}`);
      }
      if (await healthz(agentSocket(p, name))) pending.delete(name);
    }
    if (!pending.size) return;
    if (Date.now() > deadline)
      throw new AgentStartError(
        `the agents of ${[...pending].join(', ')} did not become ready within ${timeoutMs / 1000} s`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
