// podnet lab …: the reference topology on this machine, in network namespaces.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dashboardKeyFile } from '../../lab/dashboard-key-file.js';
import { str, type Parsed } from '../args.js';
import { CommandError, type Command, type CommandIo } from '../command.js';
import { labHealth, readInventory } from '../../lab/inventory.js';
import { describeFlags, LabError, labDown, labUp, requireLab } from '../../lab/lab.js';
import { nodeAdd, nodeDel } from '../../lab/nodes.js';
import { labPaths, LabIdError, type LabPaths } from '../../lab/paths.js';
import { findPod, podAdd, podDel } from '../../lab/pods.js';
import { podRef, type LabStatus, type Routing } from '../../lib/model/lab.js';

export const labIdOption = { name: 'lab-id', value: 'ID', help: 'a separate lab: namespaces podnet-ID-…, state in /run/podnet/ID (default: $PODNET_LAB, else the main lab)' };

export function pathsOf(args: Parsed): LabPaths {
  try {
    return labPaths(str(args, 'lab-id') ?? (process.env.PODNET_LAB || null));
  } catch (e) {
    if (e instanceof LabIdError) throw new CommandError(e.message, 2);
    throw e;
  }
}

/** Lab errors are the user's to fix: exit 1 with the message, no stack. */
export async function labCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LabError) throw new CommandError(e.message);
    throw e;
  }
}

function int(args: Parsed, name: string): number {
  const v = str(args, name)!;
  if (!/^\d+$/.test(v)) throw new CommandError(`--${name} must be a whole number, got "${v}"`, 2);
  return Number(v);
}

export function statusOf(inv: LabStatus): LabStatus {
  const { labId, routing, tokenFile, dashboard, router, outside, lan, clusterNetwork, nodes, pods, faults } = inv;
  // The key of a dashboard on this lab, once one made it (podnet up, podnet dashboard).
  const keyFile = dashboardKeyFile(labPaths(labId));
  const dashboardTokenFile = existsSync(keyFile) ? keyFile : null;
  return { labId, routing, tokenFile, dashboard, dashboardTokenFile, router, outside, lan, clusterNetwork, nodes, pods, faults: faults ?? [] };
}

export function printLab(io: CommandIo, s: LabStatus): void {
  io.out(`lab ${s.labId ?? '(main)'}: ${s.nodes.length} nodes, ${s.pods.length} pods, routing ${s.routing}, LAN ${s.lan.cidr}`);
  if (s.router) io.out(`router   ${s.router.ip.padEnd(15)} namespace ${s.router.netns}`);
  io.out(`outside  ${s.outside.ip.padEnd(15)} namespace ${s.outside.netns}`);
  if (s.tokenFile) io.out(`agents   one per node, bearer token in ${s.tokenFile}`);
  for (const n of s.nodes) {
    io.out(`${n.name.padEnd(8)} ${n.ip.padEnd(15)} pods ${n.podCIDR.padEnd(16)} namespace ${n.netns}${n.agent ? `  agent ${n.agent}` : ''}`);
    for (const p of s.pods.filter((x) => x.node === n.name)) io.out(`  ${podRef(p).padEnd(24)} ${(p.ip ?? 'no address').padEnd(13)} namespace ${p.netns}`);
  }
}

const labUpCommand: Command = {
  path: ['lab', 'up'],
  summary: 'build the three-node lab from network namespaces',
  usage: 'podnet lab up [--nodes N] [--pods-per-node K] [--routing host-gw|router] [--lab-id ID] [--json]',
  description:
    'Builds the reference topology: a LAN (192.168.1.0/24) with node N at 192.168.1.(10+N), pod subnet 10.244.N.0/24 on its ' +
    'bridge v-net-0, pods attached through podnet\'s CNI plugins as a runtime attaches them, an outside host at 192.168.1.200, ' +
    'and in router mode a router at 192.168.1.1. Running it again with the same flags changes nothing; with other flags it ' +
    'refuses. A lab left broken (a build that died, namespaces removed by hand) is rebuilt.',
  options: [
    { name: 'nodes', value: 'N', help: 'how many nodes', default: '3' },
    { name: 'pods-per-node', value: 'K', help: 'pods on each node (default/web-1, web-2, …)', default: '2' },
    { name: 'routing', value: 'MODE', help: 'host-gw (each node routes to the others) or router (a router holds the table)', default: 'host-gw' },
    labIdOption,
  ],
  reports: true,
  async run(args, io) {
    const p = pathsOf(args);
    const flags = { nodes: int(args, 'nodes'), podsPerNode: int(args, 'pods-per-node'), routing: str(args, 'routing') as Routing };
    const started = Date.now();
    const r = await labCall(() => labUp(p, flags, (m) => io.err(`lab up: ${m}`)));
    if (io.json) return io.out(JSON.stringify({ changed: r.changed, rebuilt: r.rebuilt, ...statusOf(r.inventory) }));
    if (!r.changed) io.out(`the lab is already up with ${describeFlags(r.inventory.flags)}: nothing changed`);
    else io.out(`lab up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    printLab(io, r.inventory);
  },
};

const labDownCommand: Command = {
  path: ['lab', 'down'],
  summary: 'remove the lab: every namespace and file it made',
  usage: 'podnet lab down [--lab-id ID] [--json]',
  description: 'Removes every namespace and file the lab made, also of a lab whose build died half-way. Running it twice is fine.',
  options: [labIdOption],
  reports: true,
  async run(args, io) {
    const r = await labCall(() => labDown(pathsOf(args)));
    if (io.json) return io.out(JSON.stringify(r));
    io.out(r.wasUp ? `lab down: removed ${r.removed.length} namespaces` : 'no lab was up');
  },
};

const labStatusCommand: Command = {
  path: ['lab', 'status'],
  summary: 'what the lab holds: nodes, pods, router, outside host',
  usage: 'podnet lab status [--lab-id ID] [--json]',
  description: 'Prints the lab\'s inventory, and whether any of its namespaces has gone missing. Exits 1 when no lab is up.',
  options: [labIdOption],
  reports: true,
  run(args, io) {
    const p = pathsOf(args);
    const inv = readInventory(p);
    if (!inv) {
      if (io.json) io.out('null');
      throw new CommandError(`no lab is up${p.labId ? ` with id ${p.labId}` : ''}: run "podnet lab up"`);
    }
    const health = labHealth(inv);
    if (io.json) return io.out(JSON.stringify({ ...statusOf(inv), healthy: health.healthy, missing: health.missing, deadAgents: health.deadAgents }));
    printLab(io, inv);
    if (!health.healthy) {
      const why = inv.phase === 'building' ? 'its build did not finish' : health.missing.length ? `missing namespaces ${health.missing.join(', ')}` : `the agents of ${health.deadAgents.join(', ')} are not running`;
      io.out(`\nbroken: ${why}; "podnet lab up" repairs it`);
    }
  },
};

const podAddCommand: Command = {
  path: ['lab', 'pod', 'add'],
  summary: 'attach a new pod on a node through the CNI plugins',
  usage: 'podnet lab pod add POD --node NODE [--lab-id ID] [--json]',
  description: 'Creates the pod\'s network namespace and runs the node\'s conflist on it, as a container runtime does. POD is NAMESPACE/NAME, or NAME in the default namespace.',
  options: [{ name: 'node', value: 'NODE', help: 'the node to run it on' }, labIdOption],
  reports: true,
  async run(args, io) {
    const ref = args.positionals[0];
    const node = str(args, 'node');
    if (!ref || !node) throw new CommandError('usage: podnet lab pod add POD --node NODE', 2);
    const pod = await labCall(() => podAdd(pathsOf(args), ref, node));
    if (io.json) return io.out(JSON.stringify(pod));
    io.out(`${podRef(pod)} is up on ${pod.node}: ${pod.ip} (namespace ${pod.netns})`);
  },
};

const podDelCommand: Command = {
  path: ['lab', 'pod', 'del'],
  summary: 'remove a pod (CNI DEL, then its namespace)',
  usage: 'podnet lab pod del POD [--lab-id ID] [--json]',
  description: 'Runs CNI DEL for the pod through its node\'s conflist, then removes its network namespace.',
  options: [labIdOption],
  reports: true,
  async run(args, io) {
    const ref = args.positionals[0];
    if (!ref) throw new CommandError('usage: podnet lab pod del POD', 2);
    const pod = await labCall(() => podDel(pathsOf(args), ref));
    if (io.json) return io.out(JSON.stringify(pod));
    io.out(`removed ${podRef(pod)} from ${pod.node}`);
  },
};

const nodeAddCommand: Command = {
  path: ['lab', 'node', 'add'],
  summary: 'add a node (next free number, its subnet, routes everywhere)',
  usage: 'podnet lab node add [NAME] [--lab-id ID] [--json]',
  description: 'Adds a node with the next free number N: 192.168.1.(10+N), pod subnet 10.244.N.0/24, and the route to that subnet on every other node (host-gw) or on the router. NAME defaults to nodeN.',
  options: [labIdOption],
  reports: true,
  async run(args, io) {
    const node = await labCall(() => nodeAdd(pathsOf(args), args.positionals[0]));
    if (io.json) return io.out(JSON.stringify(node));
    io.out(`added ${node.name}: ${node.ip}, pods ${node.podCIDR} (namespace ${node.netns})`);
  },
};

const nodeDelCommand: Command = {
  path: ['lab', 'node', 'del'],
  summary: 'remove a node, its pods, and the routes to its subnet',
  usage: 'podnet lab node del NAME [--lab-id ID] [--json]',
  description: 'Removes the node\'s pods and namespace, and the route to its pod subnet from every other node (or the router).',
  options: [labIdOption],
  reports: true,
  async run(args, io) {
    const name = args.positionals[0];
    if (!name) throw new CommandError('usage: podnet lab node del NAME', 2);
    const r = await labCall(() => nodeDel(pathsOf(args), name));
    if (io.json) return io.out(JSON.stringify(r));
    io.out(`removed ${r.node.name} (${r.node.podCIDR})${r.pods.length ? ` and its pods ${r.pods.join(', ')}` : ''}`);
  },
};

const execCommand: Command = {
  path: ['lab', 'exec'],
  summary: 'run a command inside a pod\'s (or node\'s) network namespace',
  usage: 'podnet lab exec POD|NODE [--lab-id ID] -- CMD [ARG…]',
  description: 'Runs CMD in the network namespace of a pod (NAMESPACE/NAME or NAME), or of a node, router or outside host by name, with this terminal. Exits with CMD\'s status.',
  options: [labIdOption],
  reports: false,
  run(args, io) {
    const target = args.positionals[0];
    if (!target || args.rest.length === 0) throw new CommandError('usage: podnet lab exec POD -- CMD [ARG…]', 2);
    const inv = (() => {
      try {
        return requireLab(pathsOf(args));
      } catch (e) {
        throw new CommandError((e as Error).message);
      }
    })();
    const hosts: Record<string, string | undefined> = { router: inv.router?.netns, outside: inv.outside.netns, lan: inv.lan.netns };
    const netns = inv.nodes.find((n) => n.name === target)?.netns ?? hosts[target] ?? (() => {
      try {
        return findPod(inv, target).netns;
      } catch (e) {
        throw new CommandError(`${(e as Error).message}; nodes: ${inv.nodes.map((n) => n.name).join(', ')}`);
      }
    })();
    const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, '--', ...args.rest], { stdio: 'inherit' });
    if (r.error) io.err(`podnet lab exec: ${r.error.message}`);
    return r.status ?? 1;
  },
};

export const labCommands: Command[] = [labUpCommand, labDownCommand, labStatusCommand, podAddCommand, podDelCommand, nodeAddCommand, nodeDelCommand, execCommand];
