// Reads the node's network from the kernel in one `ip -batch` (addresses with link
// details, the main routing table, neighbours, the namespace ids of veth far ends), plus
// the files the CNI plugin keeps (attachments, leases). No per-pod exec: the pod behind
// a veth comes from the attachment record the plugin wrote.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpLink, IpRoute } from '../lib/net/ip.js';
import { DiskLeaseStore } from '../lib/ipam/disk-store.js';
import { formatIpv4 } from '../lib/model/ipv4.js';
import type { Attachment } from '../lib/model/cni.js';
import {
  PODNET_ROUTE_PROTO,
  type Address,
  type FirewallSummary,
  type Link,
  type LinkKind,
  type Neighbour,
  type NodeSnapshot,
  type PodOnNode,
  type Route,
} from '../lib/model/snapshot.js';
import { AttachmentStore } from '../lib/state/attachments.js';
import type { AgentConfig } from './config.js';
import { computeFindings, type Intent, type LeaseFact } from './findings.js';

const DUMPS = ['addr show', 'route show table main', 'neigh show', 'netns list-id'];

/** Runs `ip -j -d -batch` asynchronously: the agent's event loop keeps serving meanwhile. */
export function ipDump(lines: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['-j', '-d', '-batch', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out.split('\n').filter(Boolean))
        : reject(new Error(`ip -batch: ${err.trim() || `exit ${code}`}`)),
    );
    child.stdin.end(lines.join('\n') + '\n');
  });
}

function kindOf(l: IpLink): LinkKind {
  const k = l.linkinfo?.info_kind;
  if (k === 'bridge' || k === 'veth' || k === 'vxlan') return k;
  if (l.ifname === 'lo' || (l as { link_type?: string }).link_type === 'loopback') return 'loopback';
  return k ? 'other' : 'ether';
}

interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}

interface NsId {
  nsid: number;
  name?: string;
}

type IpAddrLink = Omit<IpLink, 'addr_info'> & {
  link_index?: number;
  addr_info?: { family: string; local: string; prefixlen: number; scope?: string }[];
};

export interface RawDump {
  links: IpAddrLink[];
  routes: (IpRoute & { protocol?: string })[];
  neighbours: IpNeigh[];
  nsids: NsId[];
}

export async function dumpKernel(): Promise<RawDump> {
  // One retry: a link vanishing between the kernel's dump messages can fail a dump.
  let lines: string[];
  try {
    lines = await ipDump(DUMPS);
  } catch {
    lines = await ipDump(DUMPS);
  }
  const parse = <T>(i: number): T[] => (lines[i] ? (JSON.parse(lines[i]!) as T[]) : []);
  return { links: parse(0), routes: parse(1), neighbours: parse(2), nsids: parse(3) };
}

export interface CollectInputs {
  config: AgentConfig;
  intent: Intent;
  firewall: FirewallSummary | null;
}

function readIpForward(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

export function buildSnapshot(
  raw: RawDump,
  attachments: Attachment[],
  leases: LeaseFact[] | null,
  inputs: CollectInputs,
  collectMs: number,
  ipForward: boolean,
): NodeSnapshot {
  const { config } = inputs;
  const nsName = new Map(raw.nsids.map((n) => [n.nsid, n.name ?? null]));
  const byVeth = new Map(attachments.map((a) => [a.hostVeth, a]));
  const podName = (a: Attachment) => (a.podName ? `${a.podNamespace ?? 'default'}/${a.podName}` : null);

  const links: Link[] = raw.links.map((l) => {
    const a = byVeth.get(l.ifname);
    const kind = kindOf(l);
    return {
      index: l.ifindex,
      name: l.ifname,
      kind,
      mac: l.address ?? null,
      mtu: l.mtu,
      operState: l.operstate,
      up: l.flags.includes('UP'),
      master: l.master ?? null,
      peer:
        kind === 'veth'
          ? {
              netns: l.link_netnsid !== undefined ? (nsName.get(l.link_netnsid) ?? null) : null,
              ifindex: l.link_index ?? null,
              ifname: a?.ifname ?? null,
              pod: a ? podName(a) : null,
            }
          : null,
    };
  });
  const addresses: Address[] = raw.links.flatMap((l) =>
    (l.addr_info ?? [])
      .filter((x) => x.family === 'inet' || x.family === 'inet6')
      .map((x) => ({
        link: l.ifname,
        family: x.family as 'inet' | 'inet6',
        address: x.local,
        prefixLen: x.prefixlen,
        scope: x.scope ?? 'global',
      })),
  );
  const routes: Route[] = raw.routes.map((r) => ({
    dst: r.dst,
    gateway: r.gateway ?? null,
    dev: r.dev ?? null,
    protocol: String(r.protocol ?? 'boot'),
    scope: r.scope ?? null,
    ownedByPodnet: String(r.protocol) === String(PODNET_ROUTE_PROTO),
  }));
  const neighbours: Neighbour[] = raw.neighbours.map((n) => ({
    address: n.dst,
    link: n.dev,
    mac: n.lladdr ?? null,
    state: n.state ?? [],
  }));
  const pods: PodOnNode[] = attachments.map((a) => ({
    namespace: a.podNamespace,
    name: a.podName,
    containerID: a.containerID,
    ifname: a.ifname,
    ip: a.ips[0]?.split('/')[0] ?? null,
    hostVeth: a.hostVeth,
    netns: a.netns,
    network: a.network,
  }));
  const nodeAddresses = addresses
    .filter((a) => a.family === 'inet' && a.link !== config.bridge && a.link !== 'lo')
    .map((a) => a.address);
  const snapshot: NodeSnapshot = {
    node: {
      name: config.node,
      addresses: nodeAddresses,
      podCIDR: config.podCIDR,
      gateway: config.gateway,
      bridge: config.bridge,
      ipForward,
      firewall: inputs.firewall,
      leaseDir: config.dataDir ? join(config.dataDir, config.network) : null,
    },
    links,
    addresses,
    routes,
    neighbours,
    pods,
    findings: [],
    collectedAt: new Date().toISOString(),
    collectMs,
  };
  snapshot.findings = computeFindings(snapshot, leases, inputs.intent);
  return snapshot;
}

/** A fresh collection: the kernel dump and the plugin's files, read now. */
export async function collect(inputs: CollectInputs): Promise<NodeSnapshot> {
  return (await collectWith(inputs, null)).snapshot;
}

/** With `kernel` given (the last dump, when only the plugin's files or the intent changed,
 *  as at the end of a CNI ADD: the attachment record is written last), no `ip` is spawned:
 *  the pod appears one file read after its record, not one kernel dump. */
export async function collectWith(
  inputs: CollectInputs,
  kernel: RawDump | null,
): Promise<{ snapshot: NodeSnapshot; raw: RawDump }> {
  const started = performance.now();
  const { config } = inputs;
  const [raw, attachments, leases] = await Promise.all([
    kernel ?? dumpKernel(),
    Promise.resolve(config.stateDir ? new AttachmentStore(config.stateDir, config.network).list() : []),
    Promise.resolve(config.dataDir ? readLeases(config.dataDir, config.network) : null),
  ]);
  return {
    snapshot: buildSnapshot(raw, attachments, leases, inputs, performance.now() - started, readIpForward()),
    raw,
  };
}

function readLeases(dataDir: string, network: string): LeaseFact[] {
  try {
    return new DiskLeaseStore(dataDir, network)
      .list()
      .map((l) => ({ ip: formatIpv4(l.ip), containerID: l.containerID, ifname: l.ifname }));
  } catch {
    return [];
  }
}
