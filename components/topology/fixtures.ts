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
    veth: ip
      ? {
          host: `veth${name
            .replace(/[^a-z0-9]/g, '')
            .padEnd(11, '0')
            .slice(0, 11)}`,
          up: true,
          ifname: 'eth0',
          mac: null,
        }
      : null,
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
      .map((to) => ({
        key: `${from.name} ${to.podCIDR}`,
        from: from.name,
        to: to.name,
        dst: to.podCIDR!,
        via: to.ip,
        dev: 'eth0',
        ownedByPodnet: true,
      })),
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
  return {
    severity: 'error',
    message: 'm',
    expected: 'e',
    actual: 'a',
    fix: null,
    node: null,
    pod: null,
    source: 'agent',
    ...over,
  };
}

/** A synthetic cluster like the benchmark's: n nodes with k pods each, host-gw. */
export function bigCluster(n: number, k: number): Topology {
  const nodes = Array.from({ length: n }, (_, i) =>
    node(i + 1, { ip: `192.168.${Math.floor((i + 1) / 250)}.${((i + 1) % 250) + 1}` }),
  );
  const pods = nodes.flatMap((nd, i) =>
    Array.from({ length: k }, (_, j) => pod(`p-${i + 1}-${j + 1}`, nd.name, `10.244.${i + 1}.${j + 2}`)),
  );
  return {
    ...referenceLab,
    cluster: { ...referenceLab.cluster, source: 'synthetic', name: `${n}x${k}` },
    nodes,
    pods,
    routes: hostGwRoutes(nodes),
  };
}

/**
 * A kind cluster's real names: DataDog/KubeHound's test cluster (nodes, pods, addresses
 * and subnets as in its captured NodeList and PodList, e2e/fixtures/kind-3node/), in host-gw
 * routing. Long node names, pods in kube-system and local-path-storage, hostNetwork pods
 * on the node's own address.
 */
const kindNodes = [
  node(1, {
    name: 'kubehound.test.local-control-plane',
    ip: '172.18.0.4',
    podCIDR: '10.244.0.0/24',
    bridge: { name: 'v-net-0', up: true, addresses: ['10.244.0.1/24'] },
  }),
  node(2, {
    name: 'kubehound.test.local-worker',
    ip: '172.18.0.3',
    podCIDR: '10.244.1.0/24',
    bridge: { name: 'v-net-0', up: true, addresses: ['10.244.1.1/24'] },
  }),
  node(3, {
    name: 'kubehound.test.local-worker2',
    ip: '172.18.0.2',
    podCIDR: '10.244.2.0/24',
    bridge: { name: 'v-net-0', up: true, addresses: ['10.244.2.1/24'] },
  }),
];
const [cp, w1, w2] = kindNodes.map((n) => n.name) as [string, string, string];
export const kindClusterNames: Topology = {
  ...referenceLab,
  cluster: { ...referenceLab.cluster, source: 'kubernetes', name: 'kind-kubehound.test.local' },
  nodes: kindNodes,
  pods: [
    pod('local-path-provisioner-6bc4bddd6b-qv97f', cp, '10.244.0.2', { namespace: 'local-path-storage' }),
    pod('coredns-5d78c9869d-6tjpv', cp, '10.244.0.3', { namespace: 'kube-system' }),
    pod('coredns-5d78c9869d-f5kww', cp, '10.244.0.4', { namespace: 'kube-system' }),
    pod('kindnet-mv9lr', cp, '172.18.0.4', { namespace: 'kube-system', hostNetwork: true, veth: null }),
    pod('priv-pod', w1, '10.244.1.2'),
    pod('hostpath-pod', w1, '10.244.1.4'),
    pod('kindnet-v5pgk', w1, '172.18.0.3', { namespace: 'kube-system', hostNetwork: true, veth: null }),
    pod('kindnet-lwxlc', w2, '172.18.0.2', { namespace: 'kube-system', hostNetwork: true, veth: null }),
    pod('kube-proxy-68tgb', w2, '172.18.0.2', { namespace: 'kube-system', hostNetwork: true, veth: null }),
  ],
  routes: hostGwRoutes(kindNodes),
};
