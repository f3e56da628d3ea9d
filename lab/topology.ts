// The lab's kernel objects as `ip -batch` lines, from the inventory: pure, so what the
// lab builds can be read (and tested) without building it.
import { BRIDGE, LAN_CIDR, type LabNode, type LabStatus } from '../lib/model/lab.js';

const LAN_BRIDGE = 'lan0';
const lanLen = LAN_CIDR.split('/')[1];

/** The LAN port of a host, in the LAN namespace. */
export const lanPort = (host: string) => `to-${host}`.slice(0, 15);

/** In the LAN namespace: the bridge, and one veth per host whose far end is that host's eth0. */
export function lanLines(hosts: { name: string; netns: string }[], createBridge: boolean): string[] {
  const lines = createBridge
    ? ['link set lo up', `link add ${LAN_BRIDGE} type bridge`, `link set ${LAN_BRIDGE} up`]
    : [];
  for (const h of hosts) {
    const port = lanPort(h.name);
    lines.push(
      `link add ${port} type veth peer name eth0 netns ${h.netns}`,
      `link set ${port} master ${LAN_BRIDGE}`,
      `link set ${port} up`,
    );
  }
  return lines;
}

/** A plain host on the LAN: loopback, eth0 with its address. */
export function hostLines(ip: string): string[] {
  return ['link set lo up', `addr add ${ip}/${lanLen} dev eth0`, 'link set eth0 up'];
}

/** The route a node's pod subnet needs on the others (host-gw) or on the router. */
export function podSubnetRoute(to: LabNode): string {
  return `${to.podCIDR} via ${to.ip} dev eth0`;
}

/** A node: its LAN address, its bridge with the gateway address, and in router mode its
 *  default route. host-gw routes are the node agent's to program, not the lab's. */
export function nodeLines(lab: LabStatus, node: LabNode): string[] {
  const lines = [
    ...hostLines(node.ip),
    `link add ${BRIDGE} type bridge`,
    `addr add ${node.gateway}/24 dev ${BRIDGE}`,
    `link set ${BRIDGE} up`,
  ];
  if (lab.routing === 'router' && lab.router) lines.push(`route add default via ${lab.router.ip} dev eth0`);
  return lines;
}

/** The router (router mode): the table of every node's pod subnet. */
export function routerLines(lab: LabStatus): string[] {
  if (!lab.router) return [];
  return [...hostLines(lab.router.ip), ...lab.nodes.map((n) => `route add ${podSubnetRoute(n)}`)];
}

/** Forwarding on; ICMP redirects off, so that in router mode a node keeps sending
 *  cross-node pod traffic to the router instead of learning a shortcut. */
export const FORWARDING_SYSCTLS = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.send_redirects=0',
  'net.ipv4.conf.all.accept_redirects=0',
  'net.ipv4.conf.default.accept_redirects=0',
];
