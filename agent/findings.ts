// Intent versus actual: what the node should have (its bridge up with its gateway
// address, a healthy veth on the bridge for every lease, a lease for every pod veth, the
// routes to every other node's pod subnet, forwarding, podnet's firewall) against what
// the kernel has. Pure: a snapshot and the intent in, findings out, each with the object,
// the expected and actual values, and the command that puts it right.
import type { LabFault } from '../lib/model/lab.js';
import { PODNET_ROUTE_PROTO, type Finding, type NodeSnapshot } from '../lib/model/snapshot.js';

export interface Peer {
  name: string;
  ip: string;
  podCIDR: string;
}

export interface Intent {
  routing: 'host-gw' | 'router' | 'none';
  peers: Peer[];
  /** router mode: the node's default gateway */
  router: string | null;
  clusterNetwork: string | null;
  expectFirewall: boolean;
  uplink: string;
  /** faults the lab holds on this node (`podnet lab fault`): left alone, reported as held */
  held?: LabFault[];
}

/** The route destinations a held fault takes out of the reconciler's hands. */
export function heldRoutes(intent: Intent): Set<string> {
  return new Set(
    (intent.held ?? [])
      .filter((f) => (f.kind === 'missing-route' || f.kind === 'wrong-gateway') && f.target)
      .map((f) => f.target!),
  );
}

export const heldFindingId = (f: Pick<LabFault, 'kind' | 'target' | 'pod'>) =>
  `fault-held:${f.kind}:${f.target ?? f.pod ?? ''}`;

export const NO_INTENT: Intent = {
  routing: 'none',
  peers: [],
  router: null,
  clusterNetwork: null,
  expectFirewall: false,
  uplink: 'eth0',
};

export interface LeaseFact {
  ip: string;
  containerID: string;
  ifname: string;
}

/** `leases` is null when the node's IPAM is not podnet-ipam: then podnet cannot see them. */
export function computeFindings(s: NodeSnapshot, leases: LeaseFact[] | null, intent: Intent): Finding[] {
  const out: Finding[] = [];
  const add = (f: Finding) => out.push(f);
  const { bridge, podCIDR } = s.node;
  const links = new Map(s.links.map((l) => [l.name, l]));
  const gwCidr = podCIDR && s.node.gateway ? `${s.node.gateway}/${podCIDR.split('/')[1]}` : null;

  const br = links.get(bridge);
  if (!br) {
    add({
      id: 'bridge-missing',
      severity: 'error',
      object: `bridge ${bridge}`,
      message: `bridge ${bridge} does not exist: pods on this node have no way out`,
      expected: `bridge ${bridge}${gwCidr ? ` with ${gwCidr}` : ''}, up`,
      actual: 'no such link',
      fix: `ip link add ${bridge} type bridge${gwCidr ? ` && ip addr add ${gwCidr} dev ${bridge}` : ''} && ip link set ${bridge} up`,
    });
  } else {
    if (!br.up)
      add({
        id: 'bridge-down',
        severity: 'error',
        object: `bridge ${bridge}`,
        message: `bridge ${bridge} is down: pods cannot reach their gateway`,
        expected: 'up',
        actual: 'down',
        fix: `ip link set ${bridge} up`,
      });
    const has = s.addresses
      .filter((a) => a.link === bridge && a.family === 'inet')
      .map((a) => `${a.address}/${a.prefixLen}`);
    if (gwCidr && !has.includes(gwCidr)) {
      add({
        id: 'bridge-address',
        severity: 'error',
        object: `bridge ${bridge}`,
        message: `bridge ${bridge} does not hold the pods' gateway address ${gwCidr}`,
        expected: gwCidr,
        actual: has.join(', ') || 'no IPv4 address',
        fix: `ip addr add ${gwCidr} dev ${bridge}`,
      });
    }
  }

  const podByKey = new Map(s.pods.map((p) => [`${p.containerID}\n${p.ifname}`, p]));
  for (const lease of leases ?? []) {
    const pod = podByKey.get(`${lease.containerID}\n${lease.ifname}`);
    if (!pod) {
      add({
        id: `lease-orphan:${lease.ip}`,
        severity: 'warning',
        object: `lease ${lease.ip}`,
        message: `${lease.ip} is leased to ${lease.containerID}/${lease.ifname}, which has no attachment on this node (a leaked lease)`,
        expected: 'an attachment for every lease',
        actual: 'no attachment record',
        fix: 'CNI GC with the valid attachments (the runtime does this), or CNI DEL for that container',
      });
      continue;
    }
    const who = pod.name ? `${pod.namespace ?? 'default'}/${pod.name}` : pod.containerID;
    const veth = links.get(pod.hostVeth);
    if (!veth) {
      add({
        id: `veth-missing:${pod.hostVeth}`,
        severity: 'error',
        object: `veth ${pod.hostVeth} (${who})`,
        message: `pod ${who} holds ${lease.ip} but its veth ${pod.hostVeth} is gone`,
        expected: `${pod.hostVeth} on ${bridge}, up`,
        actual: 'no such link',
        fix: `recreate the pod ${who} (CNI DEL, then ADD)`,
      });
      continue;
    }
    if (!veth.up)
      add({
        id: `veth-down:${pod.hostVeth}`,
        severity: 'error',
        object: `veth ${pod.hostVeth} (${who})`,
        message: `the veth of ${who} is down: ${lease.ip} is cut off`,
        expected: 'up',
        actual: 'down',
        fix: `ip link set ${pod.hostVeth} up`,
      });
    if (veth.master !== bridge)
      add({
        id: `veth-detached:${pod.hostVeth}`,
        severity: 'error',
        object: `veth ${pod.hostVeth} (${who})`,
        message: `the veth of ${who} is not a port of ${bridge}`,
        expected: `master ${bridge}`,
        actual: veth.master ? `master ${veth.master}` : 'no master',
        fix: `ip link set ${pod.hostVeth} master ${bridge}`,
      });
  }
  const leased = new Set((leases ?? []).map((l) => `${l.containerID}\n${l.ifname}`));
  for (const pod of s.pods) {
    if (!leases || leased.has(`${pod.containerID}\n${pod.ifname}`) || !links.has(pod.hostVeth)) continue;
    add({
      id: `veth-unleased:${pod.hostVeth}`,
      severity: 'warning',
      object: `veth ${pod.hostVeth}`,
      message: `${pod.ip ?? 'an address'} on ${pod.hostVeth} has no lease: it could be handed out again`,
      expected: `a lease for ${pod.ip}`,
      actual: 'no lease',
      fix: `recreate the pod (CNI DEL, then ADD)`,
    });
  }

  if (intent.routing === 'host-gw') {
    for (const peer of intent.peers) {
      // With podnet's protocol: the route the fix puts back is the agent's to keep.
      const want = `ip route replace ${peer.podCIDR} via ${peer.ip} dev ${intent.uplink} proto ${PODNET_ROUTE_PROTO}`;
      const routes = s.routes.filter((r) => r.dst === peer.podCIDR);
      if (routes.length === 0) {
        add({
          id: `route-missing:${peer.podCIDR}`,
          severity: 'error',
          object: `route ${peer.podCIDR}`,
          message: `${s.node.name} has no route to ${peer.name}'s pods ${peer.podCIDR}`,
          expected: `${peer.podCIDR} via ${peer.ip} dev ${intent.uplink}`,
          actual: 'no route',
          fix: want,
        });
      } else if (!routes.some((r) => r.gateway === peer.ip)) {
        const r = routes[0]!;
        add({
          id: `route-wrong:${peer.podCIDR}`,
          severity: 'error',
          object: `route ${peer.podCIDR}`,
          message: `${s.node.name} routes ${peer.name}'s pods ${peer.podCIDR} the wrong way`,
          expected: `via ${peer.ip}`,
          actual: r.gateway ? `via ${r.gateway} dev ${r.dev}` : `dev ${r.dev}`,
          fix: want,
        });
      }
    }
  } else if (intent.routing === 'router' && intent.router) {
    if (!s.routes.some((r) => r.dst === 'default' && r.gateway === intent.router)) {
      add({
        id: 'route-default',
        severity: 'error',
        object: 'route default',
        message: `${s.node.name} does not send cross-node pod traffic to the router ${intent.router}`,
        expected: `default via ${intent.router}`,
        actual: s.routes.find((r) => r.dst === 'default')?.gateway ?? 'no default route',
        fix: `ip route replace default via ${intent.router} dev ${intent.uplink}`,
      });
    }
  }

  if (!s.node.ipForward)
    add({
      id: 'forwarding-off',
      severity: 'error',
      object: 'ip_forward',
      message: `${s.node.name} does not forward: its pods reach nothing beyond the bridge`,
      expected: '1',
      actual: '0',
      fix: 'sysctl -w net.ipv4.ip_forward=1',
    });

  const fw = s.node.firewall;
  if (intent.expectFirewall && fw) {
    const render = `podnet firewall render --node ${s.node.name} --restrict-input | nft -f -`;
    if (!fw.table)
      add({
        id: 'firewall-table',
        severity: 'error',
        object: 'nftables table inet podnet',
        message: "podnet's firewall table is missing",
        expected: 'table inet podnet',
        actual: 'absent',
        fix: render,
      });
    else if (!fw.masquerade)
      add({
        id: 'firewall-masquerade',
        severity: 'error',
        object: 'masquerade rule',
        message: 'pods leaving the cluster network are not masqueraded: replies have no way back',
        expected: 'masquerade rule in table inet podnet',
        actual: 'absent',
        fix: render,
      });
    if (fw.forwardPolicy === 'drop' && !fw.forwardAccepts && intent.clusterNetwork) {
      add({
        id: 'firewall-forward',
        severity: 'error',
        object: 'iptables FORWARD',
        message:
          "the FORWARD policy is drop and podnet's accepts are missing: pod traffic through this node is dropped",
        expected: `ACCEPT for ${intent.clusterNetwork}`,
        actual: 'policy DROP, no podnet accept',
        fix: `iptables -I FORWARD -s ${intent.clusterNetwork} -m comment --comment podnet -j ACCEPT && iptables -I FORWARD -d ${intent.clusterNetwork} -m comment --comment podnet -j ACCEPT`,
      });
    }
  }
  for (const f of intent.held ?? []) {
    add({
      id: heldFindingId(f),
      severity: 'warning',
      object: `lab fault ${f.kind}`,
      message: `the lab holds this fault on purpose: ${f.detail}; the agent leaves it alone`,
      expected: 'no fault',
      actual: f.detail,
      fix: 'podnet lab fault clear',
    });
  }
  return out;
}
