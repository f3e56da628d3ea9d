// The lab's nodes apply podnet's firewall with input restricted (the opt-in a real node
// may take), so the lab shows what a locked-down node still lets through.
import { applyFirewall, firewallFacts } from '../lib/firewall/apply.js';
import { iptables } from '../lib/net/ip.js';
import type { FirewallInput } from '../lib/firewall/render.js';
import { BRIDGE, type LabNode, type LabStatus } from '../lib/model/lab.js';

export function firewallInput(lab: LabStatus, node: LabNode, restrictInput = true): FirewallInput {
  return {
    node: node.name,
    nodeIp: node.ip,
    podCIDR: node.podCIDR,
    clusterNetwork: lab.clusterNetwork,
    peers: lab.nodes.filter((n) => n.name !== node.name).map((n) => n.ip),
    bridge: BRIDGE,
    uplink: 'eth0',
    restrictInput,
  };
}

/** Applies (or re-applies, when the set of peers changed) a node's firewall. Idempotent.
 *  The iptables FORWARD chain is made first (policy accept, as a fresh node has it) so
 *  podnet's accepts sit in it: a later `iptables -P FORWARD DROP` then leaves pods talking. */
export function applyNodeFirewall(lab: LabStatus, node: LabNode): void {
  const netns = `/run/netns/${node.netns}`;
  if (firewallFacts({ netns }).forwardPolicy === 'unknown') iptables(['-P', 'FORWARD', 'ACCEPT'], { netns });
  applyFirewall(firewallInput(lab, node), { netns });
}
