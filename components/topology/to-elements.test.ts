import type { ElementDefinition } from 'cytoscape';
import { describe, expect, it } from 'vitest';
import type { NodeSummary } from '../../lib/model/summary';
import type { Topology } from '../../lib/model/topology';
import { bigCluster, finding, kindClusterNames, node, pod, referenceLab } from './fixtures';
import { FONT_SIZE, widthOf } from './label-text';
import { layoutTopology, POD_W } from './layout';
import {
  ClosedBoxes,
  LOD_POD_THRESHOLD,
  needsLod,
  planUpdate,
  POD_CHARS,
  CLOSED_UPLINKS_MAX_NODES,
  FOCUS_ROUTES_MAX,
  ROUTE_NODE_THRESHOLD,
  toElements,
  type ElementOptions,
} from './to-elements';

const ALL: ElementOptions = { expanded: new Set(), lod: false };

const byId = (els: ElementDefinition[]) => new Map(els.map((e) => [e.data.id as string, e]));
const ids = (els: ElementDefinition[], kind?: string) =>
  els.filter((e) => !kind || e.data.kind === kind).map((e) => e.data.id as string);
const get = (els: ElementDefinition[], id: string) => {
  const e = byId(els).get(id);
  if (!e) throw new Error(`no element ${id} in ${ids(els).join(', ')}`);
  return e;
};

const podRemovedFromNode1: Topology = { ...referenceLab, pods: referenceLab.pods.filter((p) => p.name !== 'web-1') };
const podRemovedFromNode2: Topology = { ...referenceLab, pods: referenceLab.pods.filter((p) => p.name !== 'web-4') };
const vethDownOnWeb3: Topology = {
  ...referenceLab,
  nodes: referenceLab.nodes.map((n) => (n.name === 'node2' ? { ...n, health: 'finding', findingCount: 1 } : n)),
  pods: referenceLab.pods.map((p) =>
    p.name === 'web-3' ? { ...p, health: 'finding', veth: { ...p.veth!, up: false } } : p,
  ),
  findings: [
    finding({
      id: 'node2/veth-down:vethweb30000000',
      object: 'veth vethweb30000000 (default/web-3)',
      node: 'node2',
      pod: 'default/web-3',
    }),
  ],
};
const leakedLeaseOnNode1: Topology = {
  ...referenceLab,
  nodes: referenceLab.nodes.map((n) => (n.name === 'node1' ? { ...n, health: 'finding', findingCount: 1 } : n)),
  findings: [
    finding({ id: 'node1/lease-orphan:10.244.1.9', severity: 'warning', object: 'lease 10.244.1.9', node: 'node1' }),
  ],
};
const node3AgentUnreachable: Topology = {
  ...referenceLab,
  nodes: referenceLab.nodes.map((n) =>
    n.name === 'node3'
      ? {
          ...n,
          health: 'unreachable',
          findingCount: 1,
          agent: { ...n.agent, state: 'unreachable', error: 'ECONNREFUSED' },
        }
      : n,
  ),
  pods: referenceLab.pods.map((p) => (p.node === 'node3' ? { ...p, health: 'unreachable' } : p)),
  findings: [finding({ id: 'node3/agent-unreachable', object: 'agent unix:/x', node: 'node3', source: 'merge' })],
};
const crossNodeRouteMissing: Topology = {
  ...referenceLab,
  nodes: referenceLab.nodes.map((n) => (n.name === 'node1' ? { ...n, health: 'finding', findingCount: 1 } : n)),
  routes: referenceLab.routes.filter((r) => r.key !== 'node1 10.244.2.0/24'),
  findings: [finding({ id: 'node1/route-missing:10.244.2.0/24', object: 'route 10.244.2.0/24', node: 'node1' })],
};
const podWithoutVeth: Topology = {
  ...referenceLab,
  pods: referenceLab.pods.map((p) => (p.name === 'web-2' ? { ...p, veth: null, health: 'finding' } : p)),
};
const kubeSystemPods: Topology = {
  ...referenceLab,
  pods: [
    ...referenceLab.pods,
    pod('coredns-1', 'node1', '10.244.1.10', { namespace: 'kube-system' }),
    pod('kube-proxy-x', 'node2', '192.168.1.12', { namespace: 'kube-system', hostNetwork: true }),
  ],
};
const routerMode: Topology = {
  ...referenceLab,
  cluster: { ...referenceLab.cluster, routing: 'router' },
  router: { ip: '192.168.1.1' },
  routes: referenceLab.nodes.map((n) => ({
    key: `router ${n.podCIDR}`,
    from: 'router',
    to: n.name,
    dst: n.podCIDR!,
    via: n.ip,
    dev: null,
    ownedByPodnet: false,
  })),
};
/** three nodes with 250 pods each: past the level-of-detail threshold */
const busyLab: Topology = bigCluster(3, 250);

describe('toElements: the reference lab', () => {
  const els = toElements(referenceLab, ALL);

  it('has a box, a bridge and an uplink per node, a pod and a veth per pod, and the LAN', () => {
    expect(ids(els, 'node')).toEqual(['node:node1', 'node:node2', 'node:node3']);
    expect(ids(els, 'bridge')).toEqual(['bridge:node1', 'bridge:node2', 'bridge:node3']);
    expect(ids(els, 'pod')).toHaveLength(6);
    expect(ids(els, 'veth')).toHaveLength(6);
    expect(ids(els, 'uplink')).toEqual(['uplink:node1', 'uplink:node2', 'uplink:node3']);
    expect(ids(els, 'lan')).toEqual(['lan']);
    expect(ids(els, 'router')).toEqual([]);
  });

  it('puts pods and the bridge inside their node box', () => {
    expect(get(els, 'pod:default/web-1').data.box).toBe('node:node1');
    expect(get(els, 'pod:default/web-3').data.box).toBe('node:node2');
    expect(get(els, 'bridge:node2').data.box).toBe('node:node2');
    // plain nodes, not compounds: a compound's size would follow its children
    expect(els.some((e) => 'parent' in e.data)).toBe(false);
    for (const id of ['pod:default/web-1', 'bridge:node1']) {
      const at = get(els, id).position!;
      const box = get(els, 'node:node1');
      expect(Math.abs(at.x - box.position!.x)).toBeLessThan((box.data.w as number) / 2);
      expect(Math.abs(at.y - box.position!.y)).toBeLessThan((box.data.h as number) / 2);
    }
    expect(get(els, 'bridge:node2').data.label).toBe('v-net-0 · 10.244.2.1/24');
    expect(get(els, 'pod:default/web-1').data.label).toBe('web-1\n10.244.1.2');
  });

  it('labels the veth edge with the host veth name and the uplink with the node IP', () => {
    const veth = get(els, 'veth:default/web-1');
    expect(veth.data).toMatchObject({
      source: 'pod:default/web-1',
      target: 'bridge:node1',
      label: referenceLab.pods[0]!.veth!.host,
      health: 'healthy',
      missing: false,
    });
    expect(get(els, 'uplink:node2').data).toMatchObject({ source: 'node:node2', target: 'lan', label: '192.168.1.12' });
  });

  it('draws host-gw routes node to node along the LAN, labelled with the subnet they carry and the gateway', () => {
    expect(ids(els, 'route')).toHaveLength(6);
    expect(get(els, 'route:node1 10.244.2.0/24').data).toMatchObject({
      source: 'node:node1',
      target: 'node:node2',
      label: '10.244.2.0/24\nvia 192.168.1.12',
      health: 'healthy',
      curve: 'lane',
    });
    expect(get(els, 'route:node3 10.244.1.0/24').data).toMatchObject({
      source: 'node:node3',
      target: 'node:node1',
      label: '10.244.1.0/24\nvia 192.168.1.11',
      curve: 'lane',
    });
    expect(get(els, 'route:node1 10.244.2.0/24').data.tip).toBe('node1: 10.244.2.0/24 via 192.168.1.12 dev eth0');
  });

  it('lists boxes before what is in them, and nodes before edges', () => {
    const seen = new Set<string>();
    let edges = false;
    for (const e of els) {
      const isEdge = e.group === 'edges';
      if (isEdge) edges = true;
      else expect(edges, `${e.data.id} after an edge`).toBe(false);
      if (e.data.box) expect(seen.has(e.data.box as string)).toBe(true);
      seen.add(e.data.id as string);
    }
  });

  it('is the same for the same topology', () => {
    expect(toElements(referenceLab, ALL)).toEqual(els);
  });
});

describe('toElements: changes', () => {
  const before = byId(toElements(referenceLab, ALL));

  it('adding a pod adds its pod and veth and moves nothing else', () => {
    // web-4 back into its slot on node2: within the grid drawn already (a pod beyond it
    // steps the grid up, layout.test.ts)
    const without = byId(toElements(podRemovedFromNode2, ALL));
    const after = toElements(referenceLab, ALL);
    const plan = planUpdate(without, after);
    expect(plan.add.map((e) => e.data.id).sort()).toEqual(['pod:default/web-4', 'veth:default/web-4']);
    expect(plan.remove).toEqual([]);
    expect(plan.move).toEqual([]);
    // the node box's pod count changed, nothing else
    expect(plan.data.map((d) => d.id)).toEqual(['node:node2']);
    for (const e of after) {
      const old = without.get(e.data.id as string);
      if (old?.position) expect(e.position, e.data.id as string).toEqual(old.position);
    }
  });

  it('removing a pod removes its pod and veth and moves nothing else', () => {
    const plan = planUpdate(before, toElements(podRemovedFromNode1, ALL));
    expect(plan.remove.sort()).toEqual(['pod:default/web-1', 'veth:default/web-1']);
    expect(plan.add).toEqual([]);
    expect(plan.move).toEqual([]);
  });

  it('a health change is a data change, in place', () => {
    const plan = planUpdate(before, toElements(vethDownOnWeb3, ALL));
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    expect(plan.data.map((d) => d.id).sort()).toEqual(['node:node2', 'pod:default/web-3', 'veth:default/web-3']);
    const podData = plan.data.find((d) => d.id === 'pod:default/web-3')!.data;
    expect(podData).toMatchObject({ health: 'finding', severity: 'error' });
    expect(podData).not.toHaveProperty('parent');
  });
});

describe('toElements: health', () => {
  it('marks a pod with a finding, its veth, and its node', () => {
    const els = toElements(vethDownOnWeb3, ALL);
    expect(get(els, 'pod:default/web-3').data).toMatchObject({ health: 'finding', severity: 'error' });
    expect(get(els, 'veth:default/web-3').data).toMatchObject({ health: 'finding' });
    expect(get(els, 'node:node2').data).toMatchObject({ health: 'finding', severity: 'error', findings: 1 });
    expect(get(els, 'pod:default/web-4').data).toMatchObject({ health: 'healthy', severity: null });
  });

  it('tells a warning from an error', () => {
    const els = toElements(leakedLeaseOnNode1, ALL);
    expect(get(els, 'node:node1').data).toMatchObject({ health: 'finding', severity: 'warning' });
  });

  it('greys out a node whose agent is unreachable: box, bridge, pods, veths, uplink, routes from it', () => {
    const els = toElements(node3AgentUnreachable, ALL);
    for (const id of [
      'node:node3',
      'bridge:node3',
      'pod:default/web-5',
      'veth:default/web-5',
      'uplink:node3',
      'route:node3 10.244.1.0/24',
    ]) {
      expect(get(els, id).data.health, id).toBe('unreachable');
    }
    expect(get(els, 'node:node3').data.label).toContain('agent unreachable');
    expect(get(els, 'route:node1 10.244.3.0/24').data.health).toBe('healthy');
  });

  it('draws a missing cross-node route as a dashed edge where the route should be', () => {
    const els = toElements(crossNodeRouteMissing, ALL);
    expect(get(els, 'route:node1 10.244.2.0/24').data).toMatchObject({
      source: 'node:node1',
      target: 'node:node2',
      missing: true,
      health: 'finding',
      label: '10.244.2.0/24 missing\nvia 192.168.1.12',
      curve: 'lane',
    });
    // in the same lane as when it was there
    const healthy = get(toElements(referenceLab, ALL), 'route:node1 10.244.2.0/24').data;
    expect(get(els, 'route:node1 10.244.2.0/24').data).toMatchObject({
      sw: healthy.sw,
      sd: healthy.sd,
      sep: healthy.sep,
      tep: healthy.tep,
    });
    expect(ids(els, 'route')).toHaveLength(6);
  });

  it('draws a running pod without a veth with a missing veth edge', () => {
    const els = toElements(podWithoutVeth, ALL);
    expect(get(els, 'veth:default/web-2').data).toMatchObject({ missing: true, health: 'finding', label: 'no veth' });
  });

  it('draws a bridge the live agent did not find as a finding', () => {
    const noBridgeOnNode1: Topology = {
      ...referenceLab,
      nodes: referenceLab.nodes.map((n) => (n.name === 'node1' ? { ...n, bridge: null } : n)),
    };
    expect(get(toElements(noBridgeOnNode1, ALL), 'bridge:node1').data).toMatchObject({
      label: 'no bridge',
      health: 'finding',
    });
  });
});

describe('toElements: filters', () => {
  it('by node: that box, its pods and bridge, the LAN; no routes to boxes not drawn', () => {
    const els = toElements(referenceLab, { ...ALL, filter: { node: 'node2' } });
    expect(ids(els, 'node')).toEqual(['node:node2']);
    expect(ids(els, 'pod').sort()).toEqual(['pod:default/web-3', 'pod:default/web-4']);
    expect(ids(els, 'bridge')).toEqual(['bridge:node2']);
    expect(ids(els, 'lan')).toEqual(['lan']);
    expect(ids(els, 'route')).toEqual([]);
    // the box stays where it is in the whole picture
    expect(get(els, 'node:node2').position).toEqual(get(toElements(referenceLab, ALL), 'node:node2').position);
  });

  it('by namespace: every node, only that namespace’s pods', () => {
    const els = toElements(kubeSystemPods, { ...ALL, filter: { namespace: 'kube-system' } });
    expect(ids(els, 'node')).toHaveLength(3);
    expect(ids(els, 'pod').sort()).toEqual(['pod:kube-system/coredns-1', 'pod:kube-system/kube-proxy-x']);
    // the namespace on a line of its own, under the name
    expect(get(els, 'pod:kube-system/coredns-1').data.label).toBe('coredns-1\nkube-system\n10.244.1.10');
    // hostNetwork pods share the node's namespace: no veth
    expect(ids(els, 'veth')).toEqual(['veth:kube-system/coredns-1']);
  });
});

describe('toElements: router mode', () => {
  it('has a router on the LAN and routes from the router to each node, none node to node', () => {
    const els = toElements(routerMode, ALL);
    expect(get(els, 'router').data).toMatchObject({ kind: 'router', label: 'router\n192.168.1.1' });
    expect(ids(els, 'route').sort()).toEqual([
      'route:router 10.244.1.0/24',
      'route:router 10.244.2.0/24',
      'route:router 10.244.3.0/24',
    ]);
    expect(get(els, 'route:router 10.244.2.0/24').data).toMatchObject({
      source: 'router',
      target: 'node:node2',
      label: '10.244.2.0/24\nvia 192.168.1.12',
      curve: 'lane',
    });
    // the router's own link to the LAN, in the graph's id scheme
    expect(get(els, 'uplink:router').data).toMatchObject({ source: 'router', target: 'lan' });
  });
});

describe('toElements: level of detail', () => {
  it('turns on above the threshold, counting what the filter lets through', () => {
    expect(LOD_POD_THRESHOLD).toBe(600);
    expect(needsLod(referenceLab)).toBe(false);
    expect(needsLod(busyLab)).toBe(true);
    expect(needsLod(busyLab, { node: 'node2' })).toBe(false);
  });

  it('collapses every node not expanded into one box with a count, and no pods, bridge or veths', () => {
    const withFinding: Topology = {
      ...busyLab,
      nodes: busyLab.nodes.map((n) => (n.name === 'node3' ? { ...n, health: 'finding', findingCount: 2 } : n)),
    };
    const els = toElements(withFinding, { expanded: new Set(), lod: true });
    expect(ids(els, 'node')).toEqual(['node:node1', 'node:node2', 'node:node3']);
    expect(ids(els, 'pod')).toEqual([]);
    expect(ids(els, 'bridge')).toEqual([]);
    expect(ids(els, 'veth')).toEqual([]);
    const n3 = get(els, 'node:node3').data;
    expect(n3).toMatchObject({ collapsed: true, pods: 250, health: 'finding' });
    expect((n3.label as string).split('\n')[0]).toBe('node3 · 250 pods · 2 findings');
    expect((get(els, 'node:node1').data.label as string).split('\n')[0]).toBe('node1 · 250 pods');
    expect(ids(els, 'uplink')).toHaveLength(3);
    expect(ids(els, 'route')).toHaveLength(6);
  });

  it('expands the named node only, in the same footprint', () => {
    const collapsed = toElements(busyLab, { expanded: new Set(), lod: true });
    const els = toElements(busyLab, { expanded: new Set(['node2']), lod: true });
    expect(get(els, 'node:node2').data.collapsed).toBe(false);
    expect(get(els, 'node:node1').data.collapsed).toBe(true);
    expect(ids(els, 'pod')).toHaveLength(250);
    expect(ids(els, 'bridge')).toEqual(['bridge:node2']);
    expect(els.filter((e) => e.data.kind === 'pod').every((e) => e.data.box === 'node:node2')).toBe(true);
    expect(get(els, 'node:node2').position).toEqual(get(collapsed, 'node:node2').position);
    // collapsing again removes what expanding added, and nothing else
    const plan = planUpdate(byId(els), collapsed);
    expect(plan.add).toEqual([]);
    expect(plan.remove).toHaveLength(250 * 2 + 1);
  });

  it('gives back the same objects for closed boxes that did not change, new ones for those that did', () => {
    const memo = new ClosedBoxes();
    const layout = layoutTopology(busyLab);
    const opts = { expanded: new Set<string>(), lod: true, layout, memo };
    const first = toElements(busyLab, opts);
    const plain = toElements(busyLab, { expanded: new Set(), lod: true, layout });
    // the memo changes nothing that is drawn
    expect(first).toEqual(plain);
    const changed: Topology = {
      ...busyLab,
      nodes: busyLab.nodes.map((n) => (n.name === 'node3' ? { ...n, health: 'finding', findingCount: 1 } : n)),
    };
    const again = toElements(changed, opts);
    expect(get(again, 'node:node1')).toBe(get(first, 'node:node1'));
    expect(get(again, 'uplink:node1')).toBe(get(first, 'uplink:node1'));
    expect(get(again, 'node:node3')).not.toBe(get(first, 'node:node3'));
    expect((get(again, 'node:node3').data.label as string).split('\n')[0]).toBe('node3 · 250 pods · 1 finding');
    // planUpdate passes over the same objects, and sees the one that changed
    const plan = planUpdate(byId(first), again);
    expect(plan.data.map((d) => d.id)).toEqual(['node:node3']);
    expect(plan.add).toEqual([]);
    expect(plan.remove).toEqual([]);
    // an opened box is not kept; closing it again builds it afresh, and the memo forgets
    // what it was not asked for
    const opened = toElements(changed, { ...opts, expanded: new Set(['node2']) });
    expect(get(opened, 'node:node2').data.collapsed).toBe(false);
    expect(memo.size).toBe(2);
    expect(get(toElements(changed, opts), 'node:node2').data.collapsed).toBe(true);
    expect(memo.size).toBe(3);
  });

  it('keeps 100 nodes × 100 pods to a few hundred elements, routes only for the focused node', () => {
    const t = bigCluster(100, 100);
    expect(t.routes).toHaveLength(9_900);
    expect(needsLod(t)).toBe(true);
    const els = toElements(t, { expanded: new Set(), lod: true });
    expect(ids(els, 'node')).toHaveLength(100);
    expect(ids(els, 'route')).toHaveLength(0);
    expect(els.length).toBeLessThanOrEqual(100 + 100 + 1);

    expect(ROUTE_NODE_THRESHOLD).toBe(6);
    // nothing focused: the LAN says how to see routes
    expect(get(els, 'lan').data.label).toBe('LAN · select a node to draw its routes');
    // node42 holds 99 routes (more than FOCUS_ROUTES_MAX): those to open nodes and those
    // with a finding are drawn, and the LAN says so
    expect(FOCUS_ROUTES_MAX).toBeLessThan(99);
    const withFinding = {
      ...t,
      findings: [finding({ id: 'node42/route-via:10.244.77.0/24', object: 'route 10.244.77.0/24', node: 'node42' })],
    };
    const focused = toElements(withFinding, { expanded: new Set(['node42', 'node7']), lod: true, focus: 'node42' });
    const routes = focused.filter((e) => e.data.kind === 'route');
    expect(routes.map((e) => e.data.target).sort()).toEqual(['node:node7', 'node:node77']);
    expect(routes.every((e) => e.data.source === 'node:node42' && e.data.curve === 'fan')).toBe(true);
    expect(ids(focused, 'pod')).toHaveLength(200);
    expect(get(focused, 'lan').data.label).toContain("of node42's 99 routes, those with findings and to open nodes");
    // 50 nodes: every one of the focused node's 49 routes
    const fifty = toElements(bigCluster(50, 2), { expanded: new Set(), lod: true, focus: 'node3' });
    expect(ids(fifty, 'route')).toHaveLength(49);
    expect(get(fifty, 'lan').data.label).toBe('LAN');
  });

  it('draws uplinks of closed boxes up to CLOSED_UPLINKS_MAX_NODES nodes; above, those of open boxes only', () => {
    const at = (n: number, open: string[]) =>
      ids(toElements(bigCluster(n, 2), { expanded: new Set(open), lod: true }), 'uplink');
    expect(at(CLOSED_UPLINKS_MAX_NODES, [])).toHaveLength(CLOSED_UPLINKS_MAX_NODES);
    expect(at(CLOSED_UPLINKS_MAX_NODES + 1, [])).toEqual([]);
    expect(at(CLOSED_UPLINKS_MAX_NODES + 1, ['node7', 'node40'])).toEqual(['uplink:node7', 'uplink:node40']);
  });

  it('draws every route, along the LAN, while the boxes stand in a row, whatever the focus', () => {
    const six = toElements(bigCluster(6, 2), ALL);
    expect(ids(six, 'route')).toHaveLength(6 * 5);
    expect(six.filter((e) => e.data.kind === 'route').every((e) => e.data.curve === 'lane')).toBe(true);
    const seven = bigCluster(7, 2);
    expect(ids(toElements(seven, ALL), 'route')).toHaveLength(0);
    expect(ids(toElements(seven, { ...ALL, focus: 'node7' }), 'route')).toHaveLength(6);
    const sevenRouted: Topology = {
      ...seven,
      router: { ip: '192.168.1.1' },
      routes: seven.nodes.map((n) => ({
        key: `router ${n.podCIDR}`,
        from: 'router',
        to: n.name,
        dst: n.podCIDR!,
        via: n.ip,
        dev: null,
        ownedByPodnet: false,
      })),
    };
    expect(ids(toElements(sevenRouted, { ...ALL, focus: 'node7' }), 'route')).toEqual(['route:router 10.244.7.0/24']);
  });

  it('sums up many pods on no node into one element', () => {
    const manyUnscheduled: Topology = {
      ...busyLab,
      pods: [...busyLab.pods, ...Array.from({ length: 80 }, (_, i) => pod(`pending-${i}`, null, null))],
    };
    const els = toElements(manyUnscheduled, { expanded: new Set(), lod: true });
    expect(get(els, 'unplaced').data).toMatchObject({ kind: 'unplaced', pods: 80, label: '80 pods on no node' });
    const few: Topology = { ...referenceLab, pods: [...referenceLab.pods, pod('pending-1', null, null)] };
    expect(get(toElements(few, ALL), 'pod:default/pending-1').data.parent).toBeUndefined();
  });

  it('node names sort naturally in the element list', () => {
    const t: Topology = { ...referenceLab, nodes: [node(10), node(2), node(1)], pods: [], routes: [] };
    expect(ids(toElements(t, ALL), 'node')).toEqual(['node:node1', 'node:node2', 'node:node10']);
  });
});

describe('toElements: real names (a kind cluster)', () => {
  const els = toElements(kindClusterNames, ALL);
  const lines = (id: string) => (get(els, id).data.label as string).split('\n');

  it('cuts long pod names in the middle to fit the pod, the whole name on its tip', () => {
    expect(POD_CHARS).toBe(15);
    const coredns = get(els, 'pod:kube-system/coredns-5d78c9869d-6tjpv').data;
    expect(lines(coredns.id as string)).toEqual(['coredns…d-6tjpv', 'kube-system', '10.244.0.3']);
    expect(coredns.tip).toBe(
      'kube-system/coredns-5d78c9869d-6tjpv · 10.244.0.3 · on kubehound.test.local-control-plane',
    );
    expect(lines('pod:local-path-storage/local-path-provisioner-6bc4bddd6b-qv97f')).toEqual([
      'local-p…b-qv97f',
      'local-p…storage',
      '10.244.0.2',
    ]);
  });

  it('keeps every line of every pod label inside the pod', () => {
    for (const e of els.filter((e) => e.data.kind === 'pod')) {
      for (const l of (e.data.label as string).split('\n')) {
        expect(l.length, `${e.data.id}: ${l}`).toBeLessThanOrEqual(POD_CHARS);
        expect(widthOf(l.length, FONT_SIZE.pod)).toBeLessThanOrEqual(POD_W - 4);
      }
    }
  });

  it('gives node titles no more width than their box, so neighbours never overlap', () => {
    const boxes = els.filter((e) => e.data.kind === 'node');
    expect(boxes.map((b) => (b.data.label as string).split('\n')[0])).toEqual([
      'kubehound.test.local-control-plane',
      'kubehound.test.local-worker',
      'kubehound.test.local-worker2',
    ]);
    const spans = boxes.map((b) => {
      const w = Math.max(...(b.data.label as string).split('\n').map((l) => widthOf(l.length, FONT_SIZE.title)));
      expect(w, b.data.id as string).toBeLessThanOrEqual(b.data.w as number);
      return [b.position!.x - w / 2, b.position!.x + w / 2] as const;
    });
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThan(spans[i - 1]![1]);
  });

  it('cuts a node name longer than its box, the whole name on its tip', () => {
    const name = 'ip-10-0-143-27.eu-west-1.compute.internal.example';
    const t: Topology = {
      ...referenceLab,
      nodes: referenceLab.nodes.map((n) => (n.name === 'node1' ? { ...n, name } : n)),
      pods: referenceLab.pods.filter((p) => p.node !== 'node1'),
      routes: [],
    };
    const box = get(toElements(t, ALL), `node:${name}`).data;
    const title = (box.label as string).split('\n')[0]!;
    expect(title).toContain('…');
    expect(title.startsWith('ip-10-0-143')).toBe(true);
    expect(title.endsWith('example')).toBe(true);
    expect(widthOf(title.length, FONT_SIZE.title)).toBeLessThanOrEqual(box.w as number);
    expect(box.tip).toContain(name);
  });
});

describe('toElements: a traced path', () => {
  it('draws the routes it names even where the level of detail draws only the focused node’s', () => {
    const t = bigCluster(20, 2);
    const traced = 'route:node3 10.244.17.0/24';
    expect(ids(toElements(t, { ...ALL, focus: 'node1' }), 'route')).not.toContain(traced);
    const els = toElements(t, { ...ALL, focus: 'node1', alwaysRoutes: new Set([traced]) });
    expect(ids(els, 'route')).toContain(traced);
    expect(ids(els, 'route').filter((id) => id.startsWith('route:node1 '))).toHaveLength(19);
  });
});

describe('toElements: a cluster held as summaries', () => {
  it("counts a closed node's pods from its summary and keeps a wanted node closed until its pods are loaded", () => {
    const big = bigCluster(8, 40);
    // the page holds node2's pods only
    const topology: Topology = { ...big, pods: big.pods.filter((p) => p.node === 'node2') };
    const summaries = new Map(
      big.nodes.map((n) => [
        n.name,
        {
          pods: big.pods.filter((p) => p.node === n.name).length,
          severity: n.name === 'node4' ? ('error' as const) : null,
        } as unknown as NodeSummary,
      ]),
    );
    const els = toElements(topology, {
      expanded: new Set(['node2', 'node3']),
      lod: true,
      summaries,
      loaded: new Set(['node2']),
    });
    const box = (name: string) => els.find((e) => e.data.id === `node:${name}`)!.data;
    expect(box('node2')).toMatchObject({ collapsed: false, pods: 40 });
    // wanted open, not loaded: a box with its count, not an empty box
    expect(box('node3')).toMatchObject({ collapsed: true, pods: 40 });
    expect(box('node3').label).toContain('40 pods');
    expect(box('node4')).toMatchObject({ collapsed: true, severity: 'error' });
    expect(els.filter((e) => e.data.kind === 'pod')).toHaveLength(40);
  });
});
