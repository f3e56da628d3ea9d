// Reads the node's network from the kernel in one `ip -batch` (addresses with link
// details, the main routing table, neighbours, the namespace ids of veth far ends), plus
// the files the CNI plugin keeps (attachments, leases). No per-pod exec: the pod behind
// a veth comes from the attachment record the plugin wrote. The agent keeps that `ip`
// resident (lib/net/ip-reader.ts: one process fed the four dumps per collection, its own
// one-shot `ip -batch` the fallback), so a collection spawns nothing.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpLink, IpRoute } from '../lib/net/ip.js';
import { ipBatchOnce, ResidentIp } from '../lib/net/ip-reader.js';
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

/** The four dumps of a collection: constant commands, nothing from outside in them. The
 *  veths' far ends are named by `netns list` (each name in /run/netns with its nsid as seen
 *  here), not `netns list-id`: iproute2 (6.1) consumes its nsid-to-name cache as list-id
 *  prints it, so in a resident process every other list-id looks each nsid up by scanning
 *  /run/netns — O(n²), ~80 ms at 110 pods. `netns list` costs one lookup per name, every time. */
export const DUMPS = ['addr show', 'route show table main', 'neigh show', 'netns list'] as const;

/** Runs one `ip -j -d -batch` asynchronously (a process per call): the agent's event loop
 *  keeps serving meanwhile. The resident reader's fallback, and the bench's comparison. */
export function ipDump(lines: readonly string[], netns: string | null = null): Promise<string[]> {
  return ipBatchOnce(lines, netns);
}

/** The agent's resident reader of its node (or of `netns`, a name in /run/netns): a
 *  replacement after a failure is logged once per run of failures. close() it on stop. */
export function kernelReader(
  log: (msg: string, fields: Record<string, unknown>) => void,
  netns: string | null = null,
): ResidentIp {
  return new ResidentIp({
    netns,
    onRestart: (why) =>
      log('the resident ip -batch failed; reading with a one-shot ip -batch and starting a new one', {
        error: why,
      }),
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

/** `ip -j netns list`: a name, and its nsid when this namespace has one for it. */
interface NetnsName {
  name: string;
  id?: number;
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

/** The dumps a collection asks for now: without /run/netns (a fresh node before its first
 *  pod, a container without that mount), `ip -j netns list` prints nothing at all, not
 *  "[]", which would leave the answers one short; then no veth's far end has a name. */
export function dumpsNow(): readonly string[] {
  return existsSync(NETNS_DIR) ? DUMPS : DUMPS.slice(0, 3);
}
const NETNS_DIR = '/run/netns';

/** The dumps parsed; each must be a JSON array (one line per dump, in DUMPS's order); the
 *  last (netns list) may be left out (dumpsNow). */
export function parseDumps(lines: readonly string[]): RawDump {
  if (lines.length !== DUMPS.length && lines.length !== DUMPS.length - 1)
    throw new Error(`ip -batch: ${lines.length} answers to ${DUMPS.length} dumps`);
  const parse = <T>(i: number): T[] => {
    const v = JSON.parse(lines[i]!) as unknown;
    if (!Array.isArray(v)) throw new Error(`ip -batch: the answer to ${DUMPS[i]} is not a JSON array`);
    return v as T[];
  };
  const names = lines.length === DUMPS.length ? parse<NetnsName>(3) : [];
  const nsids = names.flatMap((n) => (typeof n.id === 'number' ? [{ nsid: n.id, name: n.name }] : []));
  return { links: parse(0), routes: parse(1), neighbours: parse(2), nsids };
}

/** The kernel's part of a collection: through `reader` when given (the agent's resident
 *  `ip`, which falls back to a one-shot run itself), else one `ip -batch` process. */
export async function dumpKernel(reader: ResidentIp | null = null, netns: string | null = null): Promise<RawDump> {
  const once = async () => {
    const dumps = dumpsNow();
    return parseDumps(reader ? (await reader.run(dumps)).lines : await ipDump(dumps, netns));
  };
  // One retry: a link vanishing between the kernel's dump messages can fail a dump.
  try {
    return await once();
  } catch {
    return await once();
  }
}

export interface CollectInputs {
  config: AgentConfig;
  intent: Intent;
  firewall: FirewallSummary | null;
  /** the agent's resident `ip` (kernelReader()); without it each collection spawns one */
  reader?: ResidentIp | null;
  /** without a reader: read this namespace (a name in /run/netns), not this process's own */
  netns?: string | null;
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
    kernel ?? dumpKernel(inputs.reader ?? null, inputs.netns ?? null),
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
