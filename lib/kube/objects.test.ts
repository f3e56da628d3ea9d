import { describe, expect, it } from 'vitest';
import { fixtureEvents, fixtureJson } from '../../test/kube-api-server';
import {
  internalIP,
  looseKey,
  nodeRouting,
  parseKubeNode,
  parseKubePod,
  toClusterNode,
  toClusterPod,
  type KubeNode,
  type KubePod,
} from './objects';

const nodes = () => fixtureJson<{ items: KubeNode[] }>('nodelist.reference.json').items;
const pods = () => fixtureJson<{ items: KubePod[] }>('podlist.reference.json').items;
const pod = (name: string) => {
  const p = pods().find((x) => x.metadata?.name === name);
  if (!p) throw new Error(`podlist.reference.json has no pod ${name}`);
  return p;
};

describe('toClusterNode', () => {
  it('gives the reference nodes: InternalIP, podCIDR, Ready, nothing wrong', () => {
    expect(nodes().map((n) => toClusterNode(n, null))).toEqual([
      { name: 'node1', ip: '192.168.1.11', podCIDR: '10.244.1.0/24', ready: true, conditions: [], agent: null },
      { name: 'node2', ip: '192.168.1.12', podCIDR: '10.244.2.0/24', ready: true, conditions: [], agent: null },
      { name: 'node3', ip: '192.168.1.13', podCIDR: '10.244.3.0/24', ready: true, conditions: [], agent: null },
    ]);
  });

  it('gives the agent address at the InternalIP when agents are on', () => {
    expect(nodes().map((n) => toClusterNode(n, 9650).agent)).toEqual([
      '192.168.1.11:9650',
      '192.168.1.12:9650',
      '192.168.1.13:9650',
    ]);
    // agents serving TLS are dialled as https://
    expect(nodes().map((n) => toClusterNode(n, 9650, true).agent)).toEqual([
      'https://192.168.1.11:9650',
      'https://192.168.1.12:9650',
      'https://192.168.1.13:9650',
    ]);
  });

  it('has no podCIDR, IP or agent when the node has none', () => {
    const node = nodes()[0]!;
    // variant: a node the controller-manager has not given a subnet yet, with no addresses
    delete node.spec!.podCIDR;
    node.status!.addresses = node.status!.addresses!.filter((a) => a.type !== 'InternalIP');
    expect(toClusterNode(node, 9650)).toMatchObject({ podCIDR: null, ip: null, agent: null });
    expect(internalIP(node)).toBeNull();
  });

  it('refuses an InternalIP or podCIDR that is not an address or a network, and says so quoted', () => {
    const node = nodes()[1]!;
    // variant: a kubelet that writes commands into its own Node's status
    node.status!.addresses![0]!.address = '192.168.1.12\nroute add 10.99.0.0/16 dev lo\n#';
    node.spec!.podCIDR = '10.244.2.0/24 dev lo';
    const r = nodeRouting(node);
    expect(r).toMatchObject({ ip: null, agentHost: null, podCIDR: null });
    expect(r.problems).toEqual([
      'InternalIP "192.168.1.12\\nroute add 10.99.0.0/16 dev …" (44 characters) is not an IPv4 address',
      'podCIDR "10.244.2.0/24 dev lo" is not an IPv4 network such as 10.244.2.0/24',
    ]);
    const c = toClusterNode(node, 9650);
    expect(c).toMatchObject({ ip: null, podCIDR: null, agent: null });
    expect(c.conditions.filter((x) => x.startsWith('refused by podnet'))).toHaveLength(2);
    node.spec!.podCIDR = '10.244.2.7/24';
    expect(nodeRouting(node).problems[1]).toBe(
      'podCIDR "10.244.2.7/24" has host bits set (the network is 10.244.2.0/24)',
    );
  });

  it('brackets an IPv6 InternalIP in the agent address', () => {
    const node = nodes()[0]!;
    // variant: an IPv6 node
    node.status!.addresses![0]!.address = 'fd00::11';
    expect(toClusterNode(node, 9650).agent).toBe('[fd00::11]:9650');
  });

  it('says why the kubeadm node is not ready', () => {
    const [node] = fixtureJson<{ items: KubeNode[] }>('nodelist.kubeadm-1node-notready.as-captured.json').items;
    const n = toClusterNode(node!, null);
    expect(n).toMatchObject({ name: 'k8s-controller-01', ip: '192.168.1.105', podCIDR: '10.244.0.0/24', ready: false });
    expect(n.conditions).toEqual([
      'Ready=False: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    ]);
  });

  it('lists the conditions that are not as they should be, and Ready=Unknown as unknown', () => {
    const node = nodes()[1]!;
    const conditions = node.status!.conditions!;
    // variant: the kubelet stopped posting (Ready=Unknown) and flannel is down (NetworkUnavailable=True)
    const ready = conditions.find((c) => c.type === 'Ready')!;
    Object.assign(ready, {
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    conditions.push({
      ...conditions[0]!,
      type: 'NetworkUnavailable',
      status: 'True',
      reason: 'NoRouteCreated',
      message: '',
    });
    const n = toClusterNode(node, null);
    expect(n.ready).toBeNull();
    expect(n.conditions).toEqual([
      'Ready=Unknown: Kubelet stopped posting node status.',
      'NetworkUnavailable=True: NoRouteCreated',
    ]);
  });
});

describe('toClusterPod', () => {
  it('gives the 11 reference pods with their nodes, IPs and owners', () => {
    const all = pods().map(toClusterPod);
    expect(all).toHaveLength(11);
    expect(
      all
        .filter((p) => p.hostNetwork)
        .map((p) => p.name)
        .sort(),
    ).toEqual(['kube-proxy-68tgb', 'kube-proxy-lsdbp', 'kube-proxy-pb65l', 'kube-scheduler-node1']);
    expect(toClusterPod(pod('coredns-5d78c9869d-6tjpv'))).toEqual({
      namespace: 'kube-system',
      name: 'coredns-5d78c9869d-6tjpv',
      node: 'node1',
      ip: '10.244.1.3',
      phase: 'Running',
      hostNetwork: false,
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' },
      owner: 'ReplicaSet/coredns-5d78c9869d',
    });
  });

  it('has no node or IP for the Pending pod', () => {
    expect(toClusterPod(pod('coredns-5dd5756b68-2zrhr'))).toMatchObject({
      node: null,
      ip: null,
      phase: 'Pending',
      owner: 'ReplicaSet/coredns-5dd5756b68',
    });
  });

  it('names static pods after their Node and has no owner for bare pods', () => {
    expect(toClusterPod(pod('kube-scheduler-node1'))).toMatchObject({
      owner: 'Node/node1',
      hostNetwork: true,
      ip: '192.168.1.11',
    });
    expect(toClusterPod(pod('priv-pod'))).toMatchObject({ owner: null, node: 'node3', ip: '10.244.3.2' });
  });

  it('takes the controller owner over the first one', () => {
    const p = pod('coredns-5d78c9869d-6tjpv');
    const [rs] = p.metadata!.ownerReferences!;
    // variant: a non-controller owner listed before the ReplicaSet
    p.metadata!.ownerReferences = [{ ...rs!, kind: 'ConfigMap', name: 'extra', controller: false }, rs!];
    expect(toClusterPod(p).owner).toBe('ReplicaSet/coredns-5d78c9869d');
  });

  it('reads watch objects the same way (the kubeadm Pending pods, the watch stream)', () => {
    const pending = fixtureJson<{ items: KubePod[] }>('podlist.kubeadm-1node-pending.as-captured.json').items.map(
      toClusterPod,
    );
    expect(pending.filter((p) => p.phase === 'Pending')).toHaveLength(2);
    expect(pending.filter((p) => p.phase === 'Pending').every((p) => p.node === null && p.ip === null)).toBe(true);
    const running = fixtureEvents('watch-pods.reference.jsonl')[3]!;
    expect(toClusterPod(running.object as KubePod)).toMatchObject({
      namespace: 'default',
      name: 'nginx-app-o0kvl',
      node: 'node3',
      ip: '10.244.3.5',
      phase: 'Running',
      hostNetwork: false,
      owner: 'ReplicationController/nginx-app',
    });
  });
});

describe('the schemas', () => {
  it('accept every Node and Pod of the captured and reference fixtures, lists and watch events', () => {
    const nodeLists = ['nodelist.reference.json', 'nodelist.kubeadm-1node-notready.as-captured.json'];
    const podLists = ['podlist.reference.json', 'podlist.kubeadm-1node-pending.as-captured.json'];
    for (const f of nodeLists)
      for (const n of fixtureJson<{ items: unknown[] }>(f).items)
        expect(parseKubeNode(n), `${f} ${looseKey(n)}`).toMatchObject({ ok: true });
    for (const f of podLists)
      for (const p of fixtureJson<{ items: unknown[] }>(f).items)
        expect(parseKubePod(p), `${f} ${looseKey(p)}`).toMatchObject({ ok: true });
    const events = fixtureEvents('watch-pods.reference.jsonl').filter((e) => e.type !== 'BOOKMARK');
    expect(events.length).toBeGreaterThan(3);
    for (const e of events) expect(parseKubePod(e.object)).toMatchObject({ ok: true });
  });

  it('read nulls as absent, and what they read converts as before', () => {
    const p = pod('coredns-5dd5756b68-2zrhr') as unknown as {
      status: Record<string, unknown>;
      spec: Record<string, unknown>;
    };
    p.status.podIP = null;
    p.spec.nodeName = null;
    const r = parseKubePod(p);
    expect(r.ok && toClusterPod(r.value)).toMatchObject({ node: null, ip: null, phase: 'Pending' });
  });

  it('refuse a wrong type or a podIP that is not an address, naming the field', () => {
    const p = pod('priv-pod') as unknown as { metadata: Record<string, unknown>; status: Record<string, unknown> };
    p.status.podIP = '10.244.3.2\nip route flush';
    expect(parseKubePod(p)).toEqual({
      ok: false,
      error: 'status.podIP: "10.244.3.2\\nip route flush" is not an IP address',
    });
    p.status.podIP = 'fd00::3:2';
    expect(parseKubePod(p)).toMatchObject({ ok: true });
    p.metadata.labels = ['app'];
    expect(parseKubePod(p)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^metadata\.labels: Invalid input: expected record/),
    });
    const n = nodes()[0] as unknown as { metadata: Record<string, unknown> };
    delete n.metadata.name;
    expect(parseKubeNode(n)).toMatchObject({
      ok: false,
      error: 'metadata.name: Invalid input: expected string, received undefined',
    });
    expect(looseKey(n)).toBe('(no name)');
  });
});
