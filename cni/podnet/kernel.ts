// The kernel work of an attachment, as named `ip` steps (ip-steps.ts): in the node's
// namespace (bridge, gateway address, veth pair with its peer created straight into the
// pod's namespace, bridge port), then inside the pod's namespace (address, up, routes).
// With a plain CNI_IFNAME that is one `ip -batch` process per namespace.
import { closeSync, constants, openSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { ip, ipJson, NetError, type IpLink } from '../../lib/net/ip.js';
import { CniError, ErrorCode } from '../errors.js';
import type { IpStep } from './ip-steps.js';
import type { CniRoute } from '../../lib/model/cni.js';

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
    throw new CniError(
      ErrorCode.BridgeConflict,
      `"${name}" exists but is ${kind === 'veth' ? 'a veth' : kind}, not a bridge: rename the bridge in the config or remove the device`,
    );
  }
  return {
    name,
    mac: link.address ?? '',
    up: link.flags.includes('UP'),
    addresses: (link.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
  };
}

export interface HostPlan {
  bridge: string;
  createBridge: boolean;
  bridgeMac: string;
  /** "a.b.c.d/len", formatted from parsed addresses */
  gatewayAddresses: string[];
  bridgeUp: boolean;
  veth: string;
  vethMac: string;
  ifname: string;
  podMac: string;
  /** the pod's namespace as `ip … netns` takes it: netnsRef's, never CNI_NETNS itself */
  podNetns: string;
  mtu: number | undefined;
  hairpin: boolean;
}

/** Names of the host steps: a rollback undoes by these, never by position. */
export const HostStep = {
  readBridge: 'read-bridge',
  createBridge: 'create-bridge',
  bridgeAddress: 'bridge-address',
  bridgeUp: 'bridge-up',
  addVeth: 'add-veth',
  attachVeth: 'attach-veth',
  hairpin: 'hairpin',
  vethUp: 'veth-up',
} as const;

/** The veth pair: host end on the bridge, peer created straight into the pod's namespace
 *  under CNI_IFNAME (an argv word of its own when batch text cannot carry it). */
export function vethSteps(p: HostPlan): IpStep[] {
  const mtu = p.mtu ? ['mtu', String(p.mtu)] : [];
  const steps: IpStep[] = [
    {
      name: HostStep.addVeth,
      argv: [
        'link',
        'add',
        'name',
        p.veth,
        ...mtu,
        'address',
        p.vethMac,
        'type',
        'veth',
        'peer',
        'name',
        p.ifname,
        ...mtu,
        'address',
        p.podMac,
        'netns',
        p.podNetns,
      ],
    },
    { name: HostStep.attachVeth, argv: ['link', 'set', 'dev', p.veth, 'master', p.bridge] },
  ];
  if (p.hairpin)
    steps.push({
      name: HostStep.hairpin,
      argv: ['link', 'set', 'dev', p.veth, 'type', 'bridge_slave', 'hairpin', 'on'],
    });
  steps.push({ name: HostStep.vethUp, argv: ['link', 'set', 'dev', p.veth, 'up'] });
  return steps;
}

export function hostSteps(p: HostPlan): IpStep[] {
  const steps: IpStep[] = [];
  if (p.createBridge)
    steps.push({
      name: HostStep.createBridge,
      argv: ['link', 'add', 'name', p.bridge, 'address', p.bridgeMac, 'type', 'bridge'],
    });
  // replace, not add: two ADDs racing to give the bridge its gateway address both succeed.
  for (const a of p.gatewayAddresses)
    steps.push({ name: HostStep.bridgeAddress, argv: ['addr', 'replace', a, 'dev', p.bridge] });
  if (!p.bridgeUp) steps.push({ name: HostStep.bridgeUp, argv: ['link', 'set', 'dev', p.bridge, 'up'] });
  return [...steps, ...vethSteps(p)];
}

/** The routes as the pod gets them. Like the reference plugin, a route without "gw" goes via
 *  the IPAM result's first gateway (`{"dst": "0.0.0.0/0"}` becomes `default via 10.244.1.1`),
 *  whatever isGateway says; only when IPAM gave no gateway is it on-link. The result keeps
 *  the routes as IPAM gave them, as the reference's does. */
export function routesVia(routes: CniRoute[], gateway: string | undefined): CniRoute[] {
  return routes.map((r) => (r.gw || !gateway ? r : { ...r, gw: gateway }));
}

/** Inside the pod's namespace: addresses, link up, routes. No undo: deleting the host end
 *  of the veth takes all of it away. */
export function podSteps(ifname: string, addresses: string[], routes: CniRoute[]): IpStep[] {
  const steps: IpStep[] = addresses.map((a, i) => ({
    name: `pod-address-${i}`,
    argv: ['addr', 'add', a, 'dev', ifname],
  }));
  steps.push({ name: 'pod-up', argv: ['link', 'set', 'dev', ifname, 'up'] });
  routes.forEach((r, i) => {
    const dst = r.dst === '0.0.0.0/0' ? 'default' : r.dst;
    // No gateway at all (IPAM gave none): on-link, scope global as the reference plugin's
    // netlink call makes it (`ip route add … dev X` alone would make it scope link).
    const via = r.gw ? ['via', r.gw, 'dev', ifname] : ['dev', ifname, 'scope', 'global'];
    steps.push({ name: `pod-route-${i}`, argv: ['route', 'add', dst, ...via] });
  });
  return steps;
}

/** The pod's namespace, held open by this process while the ADD works, and named for `ip …
 *  netns` through /proc: the path a runtime gave (any bytes) never becomes command text.
 *  /proc/self would be ip's own; /proc's name for this process is read from /proc/self. */
export function openNetns(path: string): { ref: string; close(): void } {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  return { ref: `/proc/${Number(readlinkSync('/proc/self'))}/fd/${fd}`, close: () => closeSync(fd) };
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
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1') return;
  try {
    writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  } catch (e) {
    // The agent's container (the fast path runs verbs there) has /proc/sys read-only: the
    // node must forward already, as kubeadm's preflight demands.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw e;
    throw new CniError(
      ErrorCode.KernelOperation,
      `IP forwarding is off on this node (net.ipv4.ip_forward=0) and cannot be turned on from here (${code}: /proc/sys is read-only): turn it on on the node (sysctl -w net.ipv4.ip_forward=1, and in /etc/sysctl.d/ to keep it)`,
    );
  }
}
