// podnet lab fault KIND | list | clear: break the running lab the way an operator's mistake
// would, so a trace (or the dashboard) can be seen to find it, explain it and fix it.
// A fault is recorded in the inventory first and the node's agent is waited for until it
// reports the fault as held, so its route reconciler does not repair it behind the
// trace's back; then the kernel is changed. `clear` undoes every recorded fault (what a
// user fixed already stays fixed) and forgets them.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentRequest } from '../lib/agent/request.js';
import { firewallFacts } from '../lib/firewall/apply.js';
import { iptables } from '../lib/net/ip.js';
import {
  BRIDGE,
  FAULT_KINDS,
  parsePodRef,
  podRef,
  type FaultKind,
  type LabFault,
  type LabNode,
  type LabPod,
} from '../lib/model/lab.js';
import { formatIpv4, parseCidr } from '../lib/model/ipv4.js';
import { PODNET_ROUTE_PROTO } from '../lib/model/snapshot.js';
import { heldFindingId } from '../agent/findings.js';
import { hostVethName } from '../cni/podnet/names.js';
import { applyNodeFirewall } from './firewall.js';
import { withLabLock, writeInventory, type LabInventory } from './inventory.js';
import { execIn } from './kernel.js';
import { LabError, requireLab } from './lab.js';
import { nodeDir, type LabPaths } from './paths.js';
import { findPod } from './pods.js';

/** An address on the LAN that no host holds: where a wrong gateway points. */
export const NOWHERE_GATEWAY = '192.168.1.99';
/** The MTU a mismatched node's uplink gets: well under the others' 1500. */
export const SMALL_MTU = 1000;
const HOLD_TIMEOUT_MS = 10_000;

export interface FaultOptions {
  node?: string;
  pod?: string;
}

function nodeOf(inv: LabInventory, name: string | undefined): LabNode {
  const n = name ? inv.nodes.find((x) => x.name === name) : inv.nodes[0];
  if (!n) throw new LabError(`no node ${name} in the lab (nodes: ${inv.nodes.map((x) => x.name).join(', ')})`);
  return n;
}

/** The pod a veth fault breaks: --pod, else the first pod on --node (or in the lab). */
function podOf(inv: LabInventory, opts: FaultOptions): LabPod {
  if (opts.pod) {
    const pod = findPod(inv, opts.pod);
    if (opts.node && pod.node !== opts.node)
      throw new LabError(`pod ${opts.pod} runs on ${pod.node}, not ${opts.node}`);
    return pod;
  }
  const pod = inv.pods.find((p) => !opts.node || p.node === opts.node);
  if (!pod)
    throw new LabError(`no pod${opts.node ? ` on ${opts.node}` : ''} to break: add one with "podnet lab pod add"`);
  return pod;
}

/** The route a route fault breaks on `node`: to --pod's node, else to the next node's pods. */
function peerOf(inv: LabInventory, node: LabNode, opts: FaultOptions): LabNode {
  if (inv.nodes.length < 2) throw new LabError('a route fault needs a lab of at least two nodes');
  if (opts.pod) {
    const pod = findPod(inv, opts.pod);
    if (pod.node === node.name)
      throw new LabError(
        `pod ${opts.pod} runs on ${node.name} itself: its traffic needs no route between nodes; give a pod on another node`,
      );
    return nodeOf(inv, pod.node);
  }
  const i = inv.nodes.indexOf(node);
  return inv.nodes[(i + 1) % inv.nodes.length]!;
}

function vethOf(pod: LabPod): string {
  return hostVethName(pod.containerID, 'eth0');
}

/** A free address high in the node's pod subnet, for a lease no pod holds. */
function staleAddress(node: LabNode, dir: string): string {
  const cidr = parseCidr(node.podCIDR)!;
  for (let host = 200; host < 254; host++) {
    const ip = formatIpv4(cidr.network + host);
    if (!existsSync(join(dir, ip))) return ip;
  }
  throw new LabError(`no free address left in ${node.podCIDR} on ${node.name} for a stale lease`);
}

const leaseDir = (p: LabPaths, node: string) => join(nodeDir(p, node), 'ipam', 'podnet');

/** What the fault will change, decided before anything changes. */
function plan(p: LabPaths, inv: LabInventory, kind: FaultKind, opts: FaultOptions): LabFault {
  const at = new Date().toISOString();
  const base = { kind, pod: null, target: null, at };
  switch (kind) {
    case 'missing-route':
    case 'wrong-gateway': {
      if (inv.routing === 'router') {
        // The router holds the pod subnets: it forgets the one of --pod's node (or --node, default node2).
        if (kind === 'wrong-gateway')
          throw new LabError(
            "wrong-gateway breaks a node's host-gw route; on a router lab use missing-route (the router forgets a pod subnet)",
          );
        const owner = opts.pod
          ? nodeOf(inv, findPod(inv, opts.pod).node)
          : nodeOf(inv, opts.node ?? inv.nodes[1]?.name);
        return {
          ...base,
          node: 'router',
          target: owner.podCIDR,
          detail: `the router's route to ${owner.name}'s pods ${owner.podCIDR} deleted`,
        };
      }
      const node = nodeOf(inv, opts.node);
      const peer = peerOf(inv, node, opts);
      const detail =
        kind === 'missing-route'
          ? `${node.name}'s route to ${peer.name}'s pods ${peer.podCIDR} deleted`
          : `${node.name} routes ${peer.name}'s pods ${peer.podCIDR} via ${NOWHERE_GATEWAY}, an address nobody holds`;
      return { ...base, node: node.name, target: peer.podCIDR, detail };
    }
    case 'veth-down':
    case 'veth-detached': {
      const pod = podOf(inv, opts);
      const veth = vethOf(pod);
      return {
        ...base,
        node: pod.node,
        pod: `${pod.namespace}/${pod.name}`,
        target: veth,
        detail:
          kind === 'veth-down'
            ? `${podRef(pod)}'s veth ${veth} set down`
            : `${podRef(pod)}'s veth ${veth} taken off ${BRIDGE}`,
      };
    }
    case 'bridge-down':
      return {
        ...base,
        node: nodeOf(inv, opts.node).name,
        target: BRIDGE,
        detail: `${nodeOf(inv, opts.node).name}'s bridge ${BRIDGE} set down`,
      };
    case 'no-forwarding':
      return {
        ...base,
        node: nodeOf(inv, opts.node).name,
        detail: `${nodeOf(inv, opts.node).name}: net.ipv4.ip_forward=0`,
      };
    case 'forward-drop':
      return {
        ...base,
        node: nodeOf(inv, opts.node).name,
        detail: `${nodeOf(inv, opts.node).name}: iptables FORWARD policy DROP, podnet's accepts removed`,
      };
    case 'mtu-mismatch': {
      const node = nodeOf(inv, opts.node ?? inv.nodes[1]?.name);
      return {
        ...base,
        node: node.name,
        target: 'eth0',
        detail: `${node.name}'s eth0 MTU set to ${SMALL_MTU} (the LAN and the other nodes use 1500)`,
      };
    }
    case 'stale-lease': {
      const node = nodeOf(inv, opts.node ?? inv.nodes[1]?.name);
      const ip = staleAddress(node, leaseDir(p, node.name));
      return {
        ...base,
        node: node.name,
        target: ip,
        detail: `${ip} leased on ${node.name} to a container that does not exist (no pod, no veth)`,
      };
    }
  }
}

function netnsOf(inv: LabInventory, node: string): string {
  return node === 'router' && inv.router ? inv.router.netns : inv.nodes.find((n) => n.name === node)!.netns;
}

/** `ip ARGS` in a node's namespace, as argv: nothing here is spliced into batch text. */
function ipIn(netns: string, args: string[]): void {
  const r = execIn(netns, ['ip', ...args]);
  if (r.status !== 0) throw new LabError(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

function sysctl(inv: LabInventory, node: string, setting: string): void {
  const r = execIn(netnsOf(inv, node), ['sysctl', '-qw', setting]);
  if (r.status !== 0) throw new LabError(`sysctl ${setting} on ${node}: ${r.stderr.trim()}`);
}

function apply(p: LabPaths, inv: LabInventory, f: LabFault): void {
  const ns = netnsOf(inv, f.node);
  const peer = inv.nodes.find((n) => n.podCIDR === f.target);
  switch (f.kind) {
    case 'missing-route':
      return ipIn(ns, ['route', 'del', peer!.podCIDR]);
    case 'wrong-gateway':
      // Without podnet's protocol: a route someone typed by hand, which the agent never touches.
      return ipIn(ns, ['route', 'replace', peer!.podCIDR, 'via', NOWHERE_GATEWAY, 'dev', 'eth0']);
    case 'veth-down':
      return ipIn(ns, ['link', 'set', f.target!, 'down']);
    case 'veth-detached':
      return ipIn(ns, ['link', 'set', f.target!, 'nomaster']);
    case 'bridge-down':
      return ipIn(ns, ['link', 'set', BRIDGE, 'down']);
    case 'no-forwarding':
      return sysctl(inv, f.node, 'net.ipv4.ip_forward=0');
    case 'forward-drop': {
      const netns = `/run/netns/${ns}`;
      iptables(['-w', '-P', 'FORWARD', 'DROP'], { netns });
      for (const args of firewallFacts({ netns }).forwardRules) iptables(['-w', '-D', 'FORWARD', ...args], { netns });
      return;
    }
    case 'mtu-mismatch':
      return ipIn(ns, ['link', 'set', 'eth0', 'mtu', String(SMALL_MTU)]);
    case 'stale-lease': {
      // The lease file as podnet-ipam writes it: container ID, CRLF, interface name.
      writeFileSync(join(leaseDir(p, f.node), f.target!), 'podnet-lab-gone_stale\r\neth0', { mode: 0o644 });
      return;
    }
  }
}

/** Undoes a fault; what is already right stays right (a user may have run the trace's fix). */
function undo(p: LabPaths, inv: LabInventory, f: LabFault): void {
  if (f.node === 'router') {
    const owner = inv.nodes.find((n) => n.podCIDR === f.target);
    if (owner && inv.router)
      ipIn(inv.router.netns, ['route', 'replace', owner.podCIDR, 'via', owner.ip, 'dev', 'eth0']);
    return;
  }
  const node = inv.nodes.find((n) => n.name === f.node);
  if (!node) return; // the node went with `lab node del`
  const ns = node.netns;
  const quiet = (fn: () => void) => {
    try {
      fn();
    } catch {
      /* already as it should be */
    }
  };
  switch (f.kind) {
    case 'missing-route':
    case 'wrong-gateway': {
      const peer = inv.nodes.find((n) => n.podCIDR === f.target);
      if (peer)
        quiet(() =>
          ipIn(ns, [
            'route',
            'replace',
            peer.podCIDR,
            'via',
            peer.ip,
            'dev',
            'eth0',
            'proto',
            String(PODNET_ROUTE_PROTO),
          ]),
        );
      return;
    }
    case 'veth-down':
      return quiet(() => ipIn(ns, ['link', 'set', f.target!, 'up']));
    case 'veth-detached':
      return quiet(
        () => (ipIn(ns, ['link', 'set', f.target!, 'master', BRIDGE]), ipIn(ns, ['link', 'set', f.target!, 'up'])),
      );
    case 'bridge-down':
      return quiet(() => ipIn(ns, ['link', 'set', BRIDGE, 'up']));
    case 'no-forwarding':
      return sysctl(inv, f.node, 'net.ipv4.ip_forward=1');
    case 'forward-drop':
      iptables(['-w', '-P', 'FORWARD', 'ACCEPT'], { netns: `/run/netns/${ns}` });
      return applyNodeFirewall(inv, node);
    case 'mtu-mismatch':
      return quiet(() => ipIn(ns, ['link', 'set', 'eth0', 'mtu', '1500']));
    case 'stale-lease':
      return rmSync(join(leaseDir(p, f.node), f.target!), { force: true });
  }
}

/** Waits until the node's agent reports the fault as held (or as released, `held` false). */
async function waitForAgent(inv: LabInventory, f: LabFault, held: boolean): Promise<void> {
  const node = inv.nodes.find((n) => n.name === f.node);
  if (!node?.agent || !inv.tokenFile) return;
  const token = readFileSync(inv.tokenFile, 'utf8').trim();
  const id = heldFindingId(f);
  const deadline = Date.now() + HOLD_TIMEOUT_MS;
  for (;;) {
    try {
      const r = await agentRequest(node.agent, token, 'GET', '/v1/snapshot', undefined, 2_000);
      const findings = (r.body as { snapshot?: { findings: { id: string }[] } }).snapshot?.findings ?? [];
      if (findings.some((x) => x.id === id) === held) return;
    } catch {
      /* the agent may be restarting: try again until the deadline */
    }
    if (Date.now() > deadline)
      throw new LabError(
        `${f.node}'s agent did not report the fault ${held ? 'held' : 'released'} within ${HOLD_TIMEOUT_MS / 1000} s: see its agent.log`,
      );
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function parseFaultKind(text: string): FaultKind {
  if (!(FAULT_KINDS as readonly string[]).includes(text))
    throw new LabError(`unknown fault "${text}": one of ${FAULT_KINDS.join(', ')}`);
  return text as FaultKind;
}

export async function faultAdd(p: LabPaths, kind: FaultKind, opts: FaultOptions): Promise<LabFault> {
  return withLabLock(p, async () => {
    const inv = requireLab(p);
    if (opts.pod) parsePodRef(opts.pod);
    const f = plan(p, inv, kind, opts);
    const faults = inv.faults ?? [];
    if (faults.some((x) => x.kind === f.kind && x.node === f.node && x.target === f.target))
      throw new LabError(
        `the lab already holds ${f.kind} on ${f.node}${f.target ? ` (${f.target})` : ''}: "podnet lab fault clear" heals it`,
      );
    inv.faults = [...faults, f];
    writeInventory(p, inv); // first: the agent must hold it before the kernel changes
    try {
      await waitForAgent(inv, f, true);
      apply(p, inv, f);
    } catch (e) {
      inv.faults = faults;
      writeInventory(p, inv);
      throw e;
    }
    return f;
  });
}

export function faultList(p: LabPaths): LabFault[] {
  return requireLab(p).faults ?? [];
}

export async function faultClear(p: LabPaths): Promise<LabFault[]> {
  return withLabLock(p, async () => {
    const inv = requireLab(p);
    const faults = inv.faults ?? [];
    // Newest first: two faults on one object come undone in reverse.
    for (const f of [...faults].reverse()) undo(p, inv, f);
    inv.faults = [];
    writeInventory(p, inv);
    for (const f of faults) await waitForAgent(inv, f, false);
    return faults;
  });
}
