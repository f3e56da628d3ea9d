// lab node add | del: grow or shrink the cluster by one node, with its pod subnet's
// routes on every other node (host-gw) or on the router.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { MAX_NODE_INDEX, type LabNode } from '../lib/model/lab.js';
import { netnsExists, withLabLock, writeInventory } from './inventory.js';
import { addNamespaces, deleteNamespaces, ipBatchIn } from './kernel.js';
import { applyNodeFirewall } from './firewall.js';
import { stopAgents, waitForRoutes } from './agents.js';
import { configureNode, LabError, makeNode, requireLabToChange, startAgents } from './lab.js';
import { deleteNode, deletePod, joinNode, updateNode } from './kube-lab.js';
import { labFiles, labPaths, nodeDir, type LabPaths } from './paths.js';
import { lanLines, podSubnetRoute } from './topology.js';

const RESERVED = new Set(['lan', 'router', 'outside']);
const NODE_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** Another lab (one with an inventory) whose names podnet-ID-… include `netns`: a node of
 *  the main lab named "ID-lan" would be lab ID's LAN. */
function otherLabOwning(p: LabPaths, netns: string): string | null {
  let entries: string[];
  try {
    entries = readdirSync(labPaths(null).stateDir);
  } catch {
    return null;
  }
  for (const id of entries) {
    if (id === p.labId) continue;
    let other: LabPaths;
    try {
      other = labPaths(id);
    } catch {
      continue; // not a lab's directory
    }
    if (netns.startsWith(other.prefix) && existsSync(labFiles(other).inventory)) return id;
  }
  return null;
}

export async function nodeAdd(p: LabPaths, name: string | undefined): Promise<LabNode> {
  return withLabLock(p, async () => {
    const inv = await requireLabToChange(p);
    const used = new Set(inv.nodes.map((n) => n.index));
    let index = 1;
    while (used.has(index)) index++;
    if (index > MAX_NODE_INDEX) throw new LabError(`the lab holds at most ${MAX_NODE_INDEX} nodes`);
    const nodeName = name ?? `node${index}`;
    if (!NODE_NAME.test(nodeName) || RESERVED.has(nodeName) || nodeName.startsWith('pod-')) {
      throw new LabError(
        `node name "${nodeName}" must be a DNS label (a-z, 0-9, "-"), and not lan, router, outside or pod-…`,
      );
    }
    if (inv.nodes.some((n) => n.name === nodeName)) throw new LabError(`node ${nodeName} already exists in the lab`);
    const node = makeNode(p, nodeName, index);
    if (netnsExists(node.netns))
      throw new LabError(
        `namespace ${node.netns} already exists but is not in this lab's inventory: remove it, or use another node name`,
      );
    const other = otherLabOwning(p, node.netns);
    if (other)
      throw new LabError(
        `node name "${nodeName}" would make namespace ${node.netns}, a name of lab ${other}: choose another name`,
      );
    // Recorded first: killed anywhere from here, `lab down` (or the next change) removes it.
    inv.nodes.push(node);
    inv.pending = [...(inv.pending ?? []), { netns: node.netns, node: node.name }];
    writeInventory(p, inv);
    const done = () => (inv.pending = inv.pending!.filter((x) => x.netns !== node.netns));
    try {
      addNamespaces([node.netns]);
      ipBatchIn(inv.lan.netns, lanLines([node], false));
      configureNode(p, inv, node);
      if (inv.kube) await joinNode(p, node, inv.kube, () => writeInventory(p, inv));
      if (inv.routing === 'router') ipBatchIn(inv.router!.netns, [`route add ${podSubnetRoute(node)}`]);
      for (const other of inv.nodes) if (other !== node) applyNodeFirewall(inv, other); // a new peer
      // host-gw: the other agents learn of the new node (from the inventory, or its Node in
      // the API) and add the route to it themselves.
      await startAgents(p, inv, [node], () => {});
      if (inv.kube) await updateNode(p, node, 'ready');
    } catch (e) {
      stopAgents(inv.agents[node.name] ? [inv.agents[node.name]!] : []);
      delete inv.agents[node.name];
      if (inv.kube) {
        await deleteNode(p, node.name).catch(() => {}); // it may not have got that far
        stopAgents(inv.kube.bridges[node.name] ? [inv.kube.bridges[node.name]!] : []);
        delete inv.kube.bridges[node.name];
      }
      inv.nodes = inv.nodes.filter((n) => n !== node);
      deleteNamespaces([node.netns]);
      done();
      writeInventory(p, inv);
      throw e;
    }
    done();
    writeInventory(p, inv);
    return node;
  });
}

export async function nodeDel(p: LabPaths, name: string): Promise<{ node: LabNode; pods: string[] }> {
  return withLabLock(p, async () => {
    const inv = await requireLabToChange(p);
    const node = inv.nodes.find((n) => n.name === name);
    if (!node) throw new LabError(`no node ${name} in the lab (nodes: ${inv.nodes.map((n) => n.name).join(', ')})`);
    if (inv.nodes.length === 1) throw new LabError(`${name} is the lab's last node: run "podnet lab down" instead`);
    const pods = inv.pods.filter((x) => x.node === name);
    // As a cluster loses a node: its Pods and its Node go from the API (the other agents
    // drop the route to it), then the machine.
    if (inv.kube) {
      for (const pod of pods) await deletePod(p, pod);
      await deleteNode(p, name);
    }
    stopAgents(inv.agents[name] ? [inv.agents[name]!] : []);
    delete inv.agents[name];
    if (inv.kube) {
      stopAgents(inv.kube.bridges[name] ? [inv.kube.bridges[name]!] : []);
      delete inv.kube.bridges[name];
    }
    // The node goes with its pods: their namespaces, then its own (its LAN veth goes too).
    deleteNamespaces([...pods.map((x) => x.netns), node.netns]);
    inv.pods = inv.pods.filter((x) => x.node !== name);
    inv.nodes = inv.nodes.filter((n) => n !== node);
    writeInventory(p, inv); // host-gw: the remaining agents see the node gone and drop its route
    if (inv.routing === 'router') ipBatchIn(inv.router!.netns, [`route del ${node.podCIDR}`]);
    for (const other of inv.nodes) applyNodeFirewall(inv, other); // one peer fewer
    await waitForRoutes(inv, [node.podCIDR]);
    rmSync(nodeDir(p, name), { recursive: true, force: true });
    writeInventory(p, inv);
    return { node, pods: pods.map((x) => `${x.namespace}/${x.name}`) };
  });
}
