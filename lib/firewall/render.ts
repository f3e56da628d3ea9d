// A node's firewall as text: one nftables table that podnet owns outright, plus the
// two iptables FORWARD accepts it has to place outside that table. Pure (no node:*), so
// the CLI can print what would be applied and the tests can read it without root.
//
// Why both: in nftables an `accept` ends only its own chain, while a `drop` in any base
// chain on the hook is final. With `iptables -P FORWARD DROP` (Docker, kubeadm guides)
// pod traffic is dropped whatever podnet's own table says, until an accept sits in that
// FORWARD chain itself — flannel places the same two rules for the same reason.
import { formatCidr, parseCidr, parseIpv4 } from '../model/ipv4.js';
import { OPEN_PORTS, portRange } from './ports.js';

export { OPEN_PORTS, portRange, type OpenPort } from './ports.js';

export interface FirewallInput {
  node: string;
  nodeIp: string;
  /** this node's pod subnet, e.g. 10.244.1.0/24 */
  podCIDR: string;
  /** every pod subnet together, e.g. 10.244.0.0/16: never masqueraded inside it */
  clusterNetwork: string;
  /** the other nodes' IPs */
  peers: string[];
  /** the pod bridge, e.g. v-net-0 */
  bridge: string;
  /** the LAN interface, e.g. eth0 */
  uplink: string;
  /** opt-in: drop input but for SSH, established traffic, own pods and control-plane ports from peers */
  restrictInput: boolean;
}

export interface FirewallRules {
  /** a complete `nft -f` script; applying it again replaces the table in one transaction */
  nft: string;
  /** iptables argument lists for `iptables -I FORWARD …`, each tagged with FORWARD_COMMENT */
  forwardAccept: string[][];
}

export const TABLE_FAMILY = 'inet';
export const TABLE_NAME = 'podnet';
/** The comment on podnet's FORWARD rules: how removal finds exactly its own. */
export const FORWARD_COMMENT = 'podnet';

export class FirewallInputError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`firewall: ${field} ${JSON.stringify(value)} is not ${expected}`);
    this.name = 'FirewallInputError';
  }
}

// Everything interpolated into the script is validated first: a stray quote or brace
// in a name would otherwise change the ruleset rather than fail.
function cidr(field: string, text: string): string {
  const p = parseCidr(text);
  if (!p) throw new FirewallInputError(field, text, 'an IPv4 CIDR such as 10.244.1.0/24');
  return formatCidr(p);
}
function address(field: string, text: string): string {
  if (parseIpv4(text) === null) throw new FirewallInputError(field, text, 'an IPv4 address such as 192.168.1.12');
  return text;
}
function ifname(field: string, text: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(text))
    throw new FirewallInputError(field, text, 'an interface name (1-15 of A-Z a-z 0-9 _ . -)');
  return text;
}
function label(field: string, text: string): string {
  if (!/^[A-Za-z0-9_.-]{1,63}$/.test(text))
    throw new FirewallInputError(field, text, 'a node name (1-63 of A-Z a-z 0-9 _ . -)');
  return text;
}

/** Its flannel-style FORWARD accepts: from and to the cluster network, in `iptables -S` order. */
export function forwardAcceptRules(clusterNetwork: string): string[][] {
  const net = cidr('clusterNetwork', clusterNetwork);
  const tag = ['-m', 'comment', '--comment', FORWARD_COMMENT, '-j', 'ACCEPT'];
  return [
    ['-s', net, ...tag],
    ['-d', net, ...tag],
  ];
}

export function renderFirewall(input: FirewallInput): FirewallRules {
  const node = label('node', input.node);
  address('nodeIp', input.nodeIp);
  const pods = cidr('podCIDR', input.podCIDR);
  const cluster = cidr('clusterNetwork', input.clusterNetwork);
  const peers = [...new Set(input.peers.map((p) => address('peers', p)))].sort();
  const bridge = ifname('bridge', input.bridge);
  const uplink = ifname('uplink', input.uplink);
  const table = `${TABLE_FAMILY} ${TABLE_NAME}`;

  const lines = [
    `# podnet firewall for ${node}. Re-applying replaces the whole table in one transaction:`,
    `# create it empty (so the delete cannot fail), delete it, create it as it should be.`,
    `table ${table} {}`,
    `delete table ${table}`,
    `table ${table} {`,
    `  comment "podnet firewall for ${node}: pods ${pods}, cluster ${cluster}"`,
    // A named set, so the agent can later add or remove a node without a reload.
    `  set peers {`,
    `    type ipv4_addr`,
    `    comment "the other nodes' LAN addresses"`,
    ...(peers.length ? [`    elements = { ${peers.join(', ')} }`] : []),
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    // These accepts decide nothing on their own (policy accept); they count pod traffic
    // and name the rule a trace can point to. The verdict that matters is FORWARD's.
    `    ip saddr ${cluster} counter accept comment "pod traffic within the cluster network, and from pods out"`,
    `    ip daddr ${cluster} counter accept comment "pod traffic within the cluster network, and replies to pods"`,
    `  }`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    `    ip saddr ${pods} ip daddr != ${cluster} ip daddr != 224.0.0.0/4 counter masquerade comment "pods leaving the cluster network: the LAN has no route back to ${pods}"`,
    `  }`,
    ...(input.restrictInput ? inputChain(bridge, uplink) : []),
    `}`,
    '',
  ];
  return { nft: lines.join('\n'), forwardAccept: forwardAcceptRules(cluster) };
}

function inputChain(bridge: string, uplink: string): string[] {
  const open = OPEN_PORTS.map((p) => {
    // Peers only over the LAN interface: a pod or another link cannot borrow a peer's address.
    const from = p.source === 'peers' ? `iifname "${uplink}" ip saddr @peers ` : '';
    return `    ${from}${p.proto} dport ${portRange(p)} counter accept comment "${p.name}: ${p.why}"`;
  });
  return [
    `  chain input {`,
    `    type filter hook input priority filter; policy drop;`,
    `    comment "restrictInput: only what a node of the cluster needs reaches the node"`,
    `    iif "lo" accept comment "the node talking to itself"`,
    `    ct state established,related accept comment "replies to connections the node opened"`,
    `    meta l4proto { icmp, ipv6-icmp } accept comment "ping, PMTU discovery, IPv6 neighbour discovery"`,
    `    iifname "${bridge}" accept comment "the node's own pods: their gateway, DNS, the API server via its Service"`,
    ...open,
    `  }`,
  ];
}
