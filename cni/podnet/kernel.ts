// The kernel work of an attachment, in two `ip -batch` processes: one in the node's
// namespace (bridge, gateway address, veth pair with its peer created straight into the
// pod's namespace, bridge port), one inside the pod's namespace (address, up, routes).
import { readFileSync, writeFileSync } from 'node:fs';
import { ip, ipJson, NetError, type IpLink } from '../../lib/net/ip.js';
import type { CniRoute } from '../../lib/model/cni.js';
import { CniError, ErrorCode } from '../errors.js';

export interface BridgeState {
  name: string;
  mac: string;
  up: boolean;
  addresses: string[];
}

export function readBridge(name: string): BridgeState | null {
  try {
    const link = ipJson<IpLink>(['-d', 'addr', 'show', 'dev', name])[0];
    return link ? bridgeState(link, name) : null;
  } catch (e) {
    if (e instanceof NetError && e.linkNotFound) return null;
    throw e;
  }
}

/** The bridge as `ip -j -d addr show` describes it; a device of another kind is an error. */
export function bridgeState(link: IpLink, name: string): BridgeState {
  const kind = link.linkinfo?.info_kind ?? 'a device of another kind';
  if (kind !== 'bridge') {
    throw new CniError(ErrorCode.BridgeConflict, `"${name}" exists but is ${kind === 'veth' ? 'a veth' : kind}, not a bridge: rename the bridge in the config or remove the device`);
  }
  return {
    name,
    mac: link.address ?? '',
    up: link.flags.includes('UP'),
    addresses: (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  };
}

/** Which line of an `ip -batch` failed ("Command failed -:3"), 1-based; 0 if unknown. */
export function failedBatchLine(e: unknown): number {
  const m = e instanceof NetError ? /Command failed -:(\d+)/.exec(e.stderr) : null;
  return m ? Number(m[1]) : 0;
}

export interface HostPlan {
  bridge: string;
  createBridge: boolean;
  bridgeMac: string;
  gatewayAddresses: string[];
  bridgeUp: boolean;
  veth: string;
  vethMac: string;
  ifname: string;
  podMac: string;
  netns: string;
  mtu: number | undefined;
  hairpin: boolean;
}

/** The veth pair: host end on the bridge, peer created straight into the pod's namespace. */
export function vethLines(p: HostPlan): string[] {
  const mtu = p.mtu ? ` mtu ${p.mtu}` : '';
  const lines = [`link add name ${p.veth}${mtu} address ${p.vethMac} type veth peer name ${p.ifname}${mtu} address ${p.podMac} netns ${p.netns}`];
  lines.push(`link set ${p.veth} master ${p.bridge}`);
  if (p.hairpin) lines.push(`link set ${p.veth} type bridge_slave hairpin on`);
  lines.push(`link set ${p.veth} up`);
  return lines;
}

export function hostBatch(p: HostPlan): string[] {
  const lines: string[] = [];
  if (p.createBridge) lines.push(`link add name ${p.bridge} address ${p.bridgeMac} type bridge`);
  // replace, not add: two ADDs racing to give the bridge its gateway address both succeed.
  for (const a of p.gatewayAddresses) lines.push(`addr replace ${a} dev ${p.bridge}`);
  if (!p.bridgeUp) lines.push(`link set ${p.bridge} up`);
  return [...lines, ...vethLines(p)];
}

export function podBatch(ifname: string, addresses: string[], routes: CniRoute[]): string[] {
  const lines = addresses.map((a) => `addr add ${a} dev ${ifname}`);
  lines.push(`link set ${ifname} up`);
  for (const r of routes) {
    const dst = r.dst === '0.0.0.0/0' ? 'default' : r.dst;
    lines.push(`route add ${dst}${r.gw ? ` via ${r.gw}` : ''} dev ${ifname}`);
  }
  return lines;
}

/** Deletes a link in the node's namespace; a link that is not there is not an error. */
export function deleteLink(name: string): boolean {
  try {
    ip(['link', 'del', name]);
    return true;
  } catch (e) {
    if (e instanceof NetError && e.linkNotFound) return false;
    throw e;
  }
}

export function bridgePorts(bridge: string): IpLink[] {
  try {
    return ipJson<IpLink>(['-d', 'link', 'show', 'master', bridge]);
  } catch (e) {
    if (e instanceof NetError && e.linkNotFound) return [];
    throw e;
  }
}

export function readLink(name: string, netns?: string): IpLink | null {
  try {
    return ipJson<IpLink>(['-d', 'addr', 'show', 'dev', name], netns ? { netns } : {})[0] ?? null;
  } catch (e) {
    if (e instanceof NetError && e.linkNotFound) return null;
    throw e;
  }
}

export function ensureForwarding(): void {
  // /proc/sys/net is the namespace of the process that opens it: the node's, here.
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1') writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
}
