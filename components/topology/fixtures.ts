// Topologies for the graph's unit tests: the reference lab (DESIGN.md: node1..3 at
// 192.168.1.11–13, pod subnets 10.244.1–3.0/24 on bridge v-net-0, web-1..web-6 two per
// node from .2) and variants made by spreading it, named after what they show.
import type { TopoFinding, Topology, TopoNode, TopoPod, TopoRoute } from '../../lib/model/topology';

const SINCE = '2025-01-01T00:00:00.000Z';

export function node(i: number, over: Partial<TopoNode> = {}): TopoNode {
  return {
    name: `node${i}`,
    ip: `192.168.1.${10 + i}`,
    podCIDR: `10.244.${i}.0/24`,
    ready: null,
    conditions: [],
    agent: { address: `unix:/run/podnet/node${i}/agent.sock`, state: 'live', since: SINCE, error: null },
    bridge: { name: 'v-net-0', up: true, addresses: [`10.244.${i}.1/24`] },
    ipForward: true,
    firewall: null,
    routes: [],
    health: 'healthy',
    findingCount: 0,
    ...over,
  };
}

export function pod(name: string, nodeName: string | null, ip: string | null, over: Partial<TopoPod> = {}): TopoPod {
  const namespace = over.namespace ?? 'default';
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    node: nodeName,
    ip,
    phase: ip ? 'Running' : 'Pending',
    hostNetwork: false,
    labels: { app: 'web' },
    owner: null,
    veth: ip ? { host: `veth${name.replace(/[^a-z0-9]/g, '').padEnd(11, '0').slice(0, 11)}`, up: true, ifname: 'eth0', mac: null } : null,
    agentIp: ip,
    netns: ip ? `/run/netns/podnet-${name}` : null,
    containerID: ip ? `c-${name}` : null,
    seenBy: { api: true, agent: ip !== null },
    health: 'healthy',
    ...over,
  };
}

/** host-gw: every node holds a route to every other node's pod subnet via its IP. */
export function hostGwRoutes(nodes: TopoNode[]): TopoRoute[] {
  return nodes.flatMap((from) =>
    nodes
      .filter((to) => to !== from)
      .map((to) => ({ key: `${from.name} ${to.podCIDR}`, from: from.name, to: to.name, dst: to.podCIDR!, via: to.ip, dev: 'eth0', ownedByPodnet: true })),
  );
}

const labNodes = [node(1), node(2), node(3)];

export const referenceLab: Topology = {
  cluster: { source: 'lab', name: 'test', routing: 'host-gw', podNetwork: '10.244.0.0/16', readOnly: false },
  nodes: labNodes,
  pods: [
    pod('web-1', 'node1', '10.244.1.2'),
    pod('web-2', 'node1', '10.244.1.3'),
    pod('web-3', 'node2', '10.244.2.2'),
    pod('web-4', 'node2', '10.244.2.3'),
    pod('web-5', 'node3', '10.244.3.2'),
    pod('web-6', 'node3', '10.244.3.3'),
  ],
  routes: hostGwRoutes(labNodes),
  findings: [],
  router: null,
  updatedAt: SINCE,
};

export function finding(over: Partial<TopoFinding> & Pick<TopoFinding, 'id' | 'object'>): TopoFinding {
  return { severity: 'error', message: 'm', expected: 'e', actual: 'a', fix: null, node: null, pod: null, source: 'agent', ...over };
}

/** A synthetic cluster like the benchmark's: n nodes with k pods each, host-gw. */
export function bigCluster(n: number, k: number): Topology {
  const nodes = Array.from({ length: n }, (_, i) => node(i + 1, { ip: `192.168.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}` }));
  const pods = nodes.flatMap((nd, i) => Array.from({ length: k }, (_, j) => pod(`p-${i + 1}-${j + 1}`, nd.name, `10.244.${i + 1}.${j + 2}`)));
  return { ...referenceLab, cluster: { ...referenceLab.cluster, source: 'synthetic', name: `${n}x${k}` }, nodes, pods, routes: hostGwRoutes(nodes) };
}
