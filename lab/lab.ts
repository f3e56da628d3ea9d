// lab up | down | status: the reference topology built from network namespaces — a LAN
// bridge, a namespace per node (eth0 on the LAN, v-net-0 for its pods, forwarding on),
// the router in router mode, an outside host, and pods attached through podnet's CNI
// plugins exactly as a container runtime attaches them.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dashboardKeyFile } from './dashboard-key-file.js';
import { join } from 'node:path';
import { conflist, install } from '../cni/install.js';
import { recordProcess } from '../lib/proc/identity.js';
import {
  BRIDGE,
  CLUSTER_NETWORK,
  LAN_CIDR,
  MAX_NODE_INDEX,
  OUTSIDE_IP,
  ROUTER_IP,
  nodeGateway,
  nodeIp,
  nodePodCIDR,
  type LabFlags,
  type LabNode,
  type LabPod,
} from '../lib/model/lab.js';
import {
  cniSocket,
  ensureToken,
  startNodeAgent,
  stopAgents,
  tokenFile,
  verifierFile,
  waitForAgents,
  waitForRoutes,
} from './agents.js';
import { pool } from '../lib/proc/pool.js';
import { addNetwork, delNetwork, type Attach, type Conflist } from './cni-runtime.js';
import {
  allNamespaces,
  labHealth,
  netnsExists,
  readInventory,
  withLabLock,
  writeInventory,
  type LabInventory,
} from './inventory.js';
import { applyNodeFirewall } from './firewall.js';
import { addNamespaces, deleteNamespaces, ipBatchIn, sysctlIn } from './kernel.js';
import { labFiles, nodeDir, type LabPaths } from './paths.js';
import {
  createPod,
  deleteNode,
  deletePod,
  joinNode,
  kubeNodeBin,
  kubeNodeConflist,
  removeKubeFiles,
  seedApi,
  startApiServer,
  startBridge,
  stopKube,
  updateNode,
} from './kube-lab.js';
import { deadKube } from './kube-state.js';
import { FORWARDING_SYSCTLS, hostLines, lanLines, nodeLines, routerLines } from './topology.js';

export { LabError } from './errors.js';
import { LabError } from './errors.js';

export type Progress = (msg: string) => void;

/** How many CNI ADDs run at once while building: the machine has two cores. */
const ATTACH_CONCURRENCY = 4;
const MAX_PODS_PER_NODE = 250;

export function describeFlags(f: LabFlags): string {
  const kube = f.controlPlane === 'kubernetes' ? ' --control-plane kubernetes' : '';
  return `--nodes ${f.nodes} --pods-per-node ${f.podsPerNode} --routing ${f.routing}${kube}`;
}

/** Does the lab run the Kubernetes control plane (lab/kube-lab.ts)? */
export const isKubeLab = (inv: LabInventory) => inv.flags.controlPlane === 'kubernetes';

export function validateFlags(f: LabFlags): void {
  if (!Number.isInteger(f.nodes) || f.nodes < 1 || f.nodes > MAX_NODE_INDEX)
    throw new LabError(`--nodes must be 1 to ${MAX_NODE_INDEX}, got ${f.nodes}`);
  if (!Number.isInteger(f.podsPerNode) || f.podsPerNode < 0 || f.podsPerNode > MAX_PODS_PER_NODE)
    throw new LabError(`--pods-per-node must be 0 to ${MAX_PODS_PER_NODE}, got ${f.podsPerNode}`);
  if (f.routing !== 'host-gw' && f.routing !== 'router')
    throw new LabError(`--routing must be host-gw or router, got "${f.routing}"`);
  if (f.controlPlane !== undefined && f.controlPlane !== 'lab' && f.controlPlane !== 'kubernetes')
    throw new LabError(`--control-plane must be lab or kubernetes, got "${f.controlPlane}"`);
}

export function makeNode(p: LabPaths, name: string, index: number): LabNode {
  return {
    name,
    index,
    ip: nodeIp(index),
    podCIDR: nodePodCIDR(index),
    gateway: nodeGateway(index),
    netns: `${p.prefix}${name}`,
    agent: null,
  };
}

export function makePod(p: LabPaths, namespace: string, name: string, node: string): LabPod {
  // "_" cannot occur in Kubernetes names, so namespace and name cannot run into each other.
  return {
    name,
    namespace,
    node,
    ip: null,
    netns: `${p.prefix}pod-${namespace}_${name}`,
    containerID: `podnet-lab-${namespace}_${name}`,
  };
}

/** Is `name` a namespace planLab makes for this lab, with any flags? `lab down` removes
 *  these by their exact names even when the inventory does not list them — never by
 *  prefix: podnet-… is also every other lab's and every running test's. */
export function isPlannedNamespace(p: LabPaths, name: string): boolean {
  if (!name.startsWith(p.prefix)) return false;
  const rest = name.slice(p.prefix.length);
  if (rest === 'lan' || rest === 'router' || rest === 'outside') return true;
  const node = /^node([1-9]\d{0,2})$/.exec(rest);
  if (node) return Number(node[1]) <= MAX_NODE_INDEX;
  const pod = /^pod-default_web-([1-9]\d{0,5})$/.exec(rest);
  return !!pod && Number(pod[1]) <= MAX_NODE_INDEX * MAX_PODS_PER_NODE;
}

function existingNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** The inventory of a lab that is about to be built. */
export function planLab(p: LabPaths, flags: LabFlags): LabInventory {
  const nodes = Array.from({ length: flags.nodes }, (_, i) => makeNode(p, `node${i + 1}`, i + 1));
  let n = 0;
  const pods = nodes.flatMap((node) =>
    Array.from({ length: flags.podsPerNode }, () => makePod(p, 'default', `web-${++n}`, node.name)),
  );
  return {
    labId: p.labId,
    routing: flags.routing,
    tokenFile: null,
    dashboard: null,
    router: flags.routing === 'router' ? { ip: ROUTER_IP, netns: `${p.prefix}router` } : null,
    outside: { ip: OUTSIDE_IP, netns: `${p.prefix}outside` },
    lan: { cidr: LAN_CIDR, netns: `${p.prefix}lan`, bridge: 'lan0' },
    clusterNetwork: CLUSTER_NETWORK,
    nodes,
    pods,
    flags,
    phase: 'building',
    builder: recordProcess(process.pid),
    agents: {},
    ...(flags.controlPlane === 'kubernetes' ? { kube: { api: null, url: null, bridges: {} } } : {}),
    createdAt: new Date().toISOString(),
  };
}

export function nodeConflist(p: LabPaths, node: LabNode, inv?: LabInventory): Conflist {
  // The Kubernetes-shaped lab's install step wrote the node's conflist: read as a runtime does.
  if (inv && isKubeLab(inv)) return JSON.parse(readFileSync(kubeNodeConflist(p, node.name), 'utf8')) as Conflist;
  const dir = nodeDir(p, node.name);
  // ipMasq off: in the lab the node's firewall table owns masquerading (one owner per rule).
  // agentSocket: the plugin's shim hands verbs to the node's agent when it runs.
  return conflist({
    name: 'podnet',
    subnet: node.podCIDR,
    clusterNetwork: CLUSTER_NETWORK,
    bridge: BRIDGE,
    stateDir: dir,
    dataDir: join(dir, 'ipam'),
    ipMasq: false,
    agentSocket: cniSocket(p, node.name),
  }) as unknown as Conflist;
}

export function attachOf(p: LabPaths, inv: LabInventory, pod: LabPod): Attach {
  const node = inv.nodes.find((n) => n.name === pod.node);
  if (!node) throw new LabError(`pod ${pod.namespace}/${pod.name} is on node ${pod.node}, which is not in the lab`);
  return {
    containerID: pod.containerID,
    netns: `/run/netns/${pod.netns}`,
    ifname: 'eth0',
    podNamespace: pod.namespace,
    podName: pod.name,
    cniPath: [isKubeLab(inv) ? kubeNodeBin(p, node.name) : labFiles(p).bin],
    nodeNetns: `/run/netns/${node.netns}`,
  };
}

/** A node's namespace from nothing to ready for pods (its LAN veth exists already):
 *  forwarding, addresses, bridge, routes, firewall, conflist. */
export function configureNode(p: LabPaths, inv: LabInventory, node: LabNode): void {
  sysctlIn(node.netns, FORWARDING_SYSCTLS);
  ipBatchIn(node.netns, nodeLines(inv, node));
  applyNodeFirewall(inv, node);
  if (isKubeLab(inv)) return; // the install step writes the conflist (lab/kube-lab.ts)
  const conf = join(nodeDir(p, node.name), 'net.d');
  mkdirSync(conf, { recursive: true });
  writeFileSync(join(conf, '10-podnet.conflist'), JSON.stringify(nodeConflist(p, node), null, 2) + '\n');
}

/** Nodes attach in parallel; each node's pods in order, so web-1 is always .2 on its node. */
export async function attachPods(p: LabPaths, inv: LabInventory, pods: LabPod[], progress: Progress): Promise<void> {
  let done = 0;
  const byNode = inv.nodes.map((n) => pods.filter((x) => x.node === n.name)).filter((list) => list.length > 0);
  await pool(byNode, ATTACH_CONCURRENCY, async (list) => {
    for (const pod of list) {
      const node = inv.nodes.find((n) => n.name === pod.node)!;
      const result = await addNetwork(nodeConflist(p, node, inv), attachOf(p, inv, pod));
      pod.ip = result.ips?.[0]?.address.split('/')[0] ?? null;
      // The Pod as the kubelet reports it, once its network is up.
      if (inv.kube) await createPod(p, pod, node);
      done++;
      if (pods.length > 4 && (done % 10 === 0 || done === pods.length))
        progress(`attached ${done}/${pods.length} pods`);
    }
  });
}

async function build(p: LabPaths, inv: LabInventory, progress: Progress): Promise<void> {
  writeInventory(p, inv); // first: whatever happens next, `lab down` knows what to remove
  progress(`creating ${allNamespaces(inv).length} namespaces`);
  addNamespaces(allNamespaces(inv));
  const hosts = [
    ...inv.nodes,
    ...(inv.router ? [{ name: 'router', netns: inv.router.netns }] : []),
    { name: 'outside', netns: inv.outside.netns },
  ];
  ipBatchIn(inv.lan.netns, lanLines(hosts, true));
  ipBatchIn(inv.outside.netns, hostLines(inv.outside.ip));
  if (inv.router) {
    sysctlIn(inv.router.netns, FORWARDING_SYSCTLS);
    ipBatchIn(inv.router.netns, routerLines(inv));
  }
  ensureToken(p);
  progress(`configuring ${inv.nodes.length} nodes (${inv.routing})`);
  for (const node of inv.nodes) configureNode(p, inv, node);
  if (inv.kube) {
    progress("starting the lab's Kubernetes API endpoint (a test double)");
    const record = () => writeInventory(p, inv); // each PID as soon as it exists
    await startApiServer(p, inv.kube, record);
    progress(`each node: its Node registered, the install step waiting for its podCIDR, the podCIDR given`);
    await pool(inv.nodes, ATTACH_CONCURRENCY, (node) => joinNode(p, node, inv.kube!, record));
  } else {
    progress('installing the podnet CNI plugins');
    await install(labFiles(p).bin, null);
  }
  await startAgents(p, inv, inv.nodes, progress);
  if (inv.kube) for (const node of inv.nodes) await updateNode(p, node, 'ready');
  for (const pod of inv.pods) ipBatchIn(pod.netns, ['link set lo up']);
  if (inv.pods.length) progress(`attaching ${inv.pods.length} pods through the CNI plugins`);
  await attachPods(p, inv, inv.pods, progress);
  inv.phase = 'ready';
  inv.builder = null;
  writeInventory(p, inv);
}

/** Starts the agents of `nodes`, records them, and waits until they serve and (host-gw)
 *  have programmed the routes between the nodes. */
export async function startAgents(p: LabPaths, inv: LabInventory, nodes: LabNode[], progress: Progress): Promise<void> {
  progress(`starting ${nodes.length} node agent(s)`);
  for (const node of nodes) inv.agents[node.name] = startNodeAgent(p, inv, node);
  writeInventory(p, inv); // the PIDs first: a failure from here on still stops them
  await waitForAgents(p, nodes, inv.agents);
  await waitForRoutes(inv);
}

/** Removes every process, namespace and file of the lab; safe on a half-built or dead
 *  lab, and on one whose inventory is lost: the names its plan makes go too. */
export function teardown(p: LabPaths, inv: LabInventory | null): string[] {
  if (inv) stopAgents(Object.values(inv.agents ?? {}));
  if (inv) stopKube(inv.kube, stopAgents); // after the agents: their watches end first
  // Without a state directory this lab never ran: a planned name is someone else's then.
  const planned = existsSync(p.stateDir) ? existingNamespaces().filter((n) => isPlannedNamespace(p, n)) : [];
  const removed = [...new Set([...(inv ? allNamespaces(inv) : []), ...planned])].filter(netnsExists);
  deleteNamespaces(removed);
  const files = labFiles(p);
  for (const path of [
    files.bin,
    files.nodes,
    files.inventory,
    tokenFile(p),
    verifierFile(p),
    files.dashboardLog,
    dashboardKeyFile(p),
  ])
    rmSync(path, { recursive: true, force: true });
  removeKubeFiles(p);
  return removed;
}

export interface UpOutcome {
  changed: boolean;
  rebuilt: string | null;
  inventory: LabInventory;
}

export async function labUp(p: LabPaths, flags: LabFlags, progress: Progress): Promise<UpOutcome> {
  validateFlags(flags);
  return withLabLock(p, async () => {
    const current = readInventory(p);
    let rebuilt: string | null = null;
    if (current) {
      await undoDeadAdds(p, current, progress);
      const health = labHealth(current);
      const sameFlags = describeFlags(current.flags) === describeFlags(flags);
      if ((health.healthy || (health.missing.length === 0 && current.phase === 'ready')) && !sameFlags) {
        throw new LabError(
          `the lab is up with ${describeFlags(current.flags)}; run "podnet lab down" first to bring it up with ${describeFlags(flags)}`,
        );
      }
      if (health.healthy) return { changed: false, rebuilt: null, inventory: current };
      if (health.missing.length === 0 && current.phase === 'ready') {
        // Only processes died (a reboot of the shell, a kill): restart them, keep the rest.
        const dead = [...health.deadKube, ...health.deadAgents.map((n) => `the agent of ${n}`)];
        progress(`not running: ${dead.join(', ')}: restarting`);
        await restartKube(p, current, progress);
        const deadNodes = current.nodes.filter((n) => health.deadAgents.includes(n.name));
        if (deadNodes.length) await startAgents(p, current, deadNodes, progress);
        writeInventory(p, current);
        return { changed: true, rebuilt: `restarted ${dead.join(', ')}`, inventory: current };
      }
      // We hold the lab lock, so a lab still "building" has a builder that died.
      rebuilt =
        current.phase === 'building'
          ? 'its build did not finish'
          : `namespaces are missing: ${health.missing.slice(0, 5).join(', ')}${health.missing.length > 5 ? ', …' : ''}`;
      progress(`the lab is broken (${rebuilt}): rebuilding it`);
      teardown(p, current);
    }
    const inv = planLab(p, flags);
    // A namespace of ours by name but not in our inventory is someone else's: never take it over, never delete it.
    const taken = allNamespaces(inv).filter(netnsExists);
    if (taken.length) {
      throw new LabError(
        `namespace ${taken.slice(0, 3).join(', ')}${taken.length > 3 ? ', …' : ''} already exists but is not part of this lab (not in its inventory): if this lab made it and lost its inventory, "podnet lab down" removes it; else use another --lab-id`,
      );
    }
    try {
      await build(p, inv, progress);
    } catch (e) {
      progress(`lab up failed: ${(e as Error).message}; removing what it made`);
      teardown(p, inv);
      throw e;
    }
    return { changed: true, rebuilt, inventory: inv };
  });
}

/** Restarts what of the Kubernetes control plane died. The endpoint keeps its objects in
 *  memory: a new one is given the lab's Nodes and Pods again (newer versions: the agents'
 *  and the dashboard's watches expire and they list again). */
async function restartKube(p: LabPaths, inv: LabInventory, progress: Progress): Promise<void> {
  const kube = inv.kube;
  if (!kube) return;
  const dead = deadKube(kube, inv.nodes);
  if (dead.includes('api')) {
    stopKube({ api: null, url: null, bridges: kube.bridges }, stopAgents); // they forward to the dead socket
    kube.bridges = {};
    progress("restarting the lab's Kubernetes API endpoint and writing its Nodes and Pods again");
    await startApiServer(p, kube, () => writeInventory(p, inv));
    await seedApi(p, inv.nodes, inv.pods);
  }
  for (const node of inv.nodes)
    if (deadKube(kube, [node]).length) startBridge(p, node, kube, () => writeInventory(p, inv));
  writeInventory(p, inv);
}

export async function labDown(p: LabPaths): Promise<{ removed: string[]; wasUp: boolean }> {
  const result = await withLabLock(p, async () => {
    const inv = readInventory(p);
    return { removed: teardown(p, inv), wasUp: inv !== null };
  });
  try {
    rmdirSync(p.stateDir); // the default lab's directory also holds other labs: only if empty
  } catch {
    /* not empty, or gone */
  }
  return result;
}

export function requireLab(p: LabPaths): LabInventory {
  const inv = readInventory(p);
  if (!inv) throw new LabError(`no lab is up${p.labId ? ` with id ${p.labId}` : ''}: run "podnet lab up" first`);
  return inv;
}

/** requireLab for a command that changes the lab (it holds the lab lock): first undoes
 *  what a killed pod or node add left. */
export async function requireLabToChange(p: LabPaths): Promise<LabInventory> {
  const inv = requireLab(p);
  await undoDeadAdds(p, inv, () => {});
  return inv;
}

/** Undoes the adds still pending in the inventory. Only called under the lab lock, so the
 *  command that recorded them is dead (killed between recording and finishing). */
export async function undoDeadAdds(p: LabPaths, inv: LabInventory, progress: Progress): Promise<void> {
  const pending = inv.pending ?? [];
  if (pending.length === 0) return;
  progress(`undoing what a killed "lab pod add" or "lab node add" left: ${pending.map((x) => x.netns).join(', ')}`);
  for (const add of pending) {
    const node = inv.nodes.find((n) => n.name === (add.pod?.node ?? add.node));
    // DEL frees the pod's lease, if it got one; a DEL that fails leaves nothing more to free.
    if (add.pod && inv.kube) await deletePod(p, add.pod).catch(() => {}); // if it got that far
    if (add.pod && node) await delNetwork(nodeConflist(p, node, inv), attachOf(p, inv, add.pod)).catch(() => {});
    if (add.node && node) {
      stopAgents(inv.agents[node.name] ? [inv.agents[node.name]!] : []);
      delete inv.agents[node.name];
      if (inv.kube) {
        await deleteNode(p, node.name).catch(() => {}); // it may not have got that far
        stopKube({ api: null, url: null, bridges: { [node.name]: inv.kube.bridges[node.name]! } }, stopAgents);
        delete inv.kube.bridges[node.name];
      }
      inv.nodes = inv.nodes.filter((n) => n !== node);
      if (inv.router) dropRouterRoute(inv.router.netns, node.podCIDR);
      rmSync(nodeDir(p, node.name), { recursive: true, force: true });
    }
    deleteNamespaces([add.netns]); // its LAN port and pod veths go with it
  }
  inv.pending = [];
  writeInventory(p, inv);
  if (pending.some((x) => x.node)) for (const n of inv.nodes) applyNodeFirewall(inv, n); // one peer fewer
}

/** In router mode the router may hold a half-added node's route: removed if there. */
function dropRouterRoute(routerNetns: string, podCIDR: string): void {
  try {
    ipBatchIn(routerNetns, [`route del ${podCIDR}`]);
  } catch {
    /* it never got that far */
  }
}
