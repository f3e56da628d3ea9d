// podnet lab …: the reference topology on this machine, in network namespaces. The table's
// entries only: each run is loaded when its command runs (./lab-run.ts, ./lab-status.ts).
import { lazyRun, type Command } from '../command.js';
import { labIdOption } from '../options.js';

const labRun = () => import('./lab-run.js');

const labUpCommand: Command = {
  path: ['lab', 'up'],
  summary: 'build the three-node lab from network namespaces',
  usage:
    'podnet lab up [--nodes N] [--pods-per-node K] [--routing host-gw|router] [--control-plane lab|kubernetes] [--lab-id ID] [--json]',
  description:
    'Builds the reference topology: a LAN (192.168.1.0/24) with node N at 192.168.1.(10+N), pod subnet 10.244.N.0/24 on its ' +
    "bridge v-net-0, pods attached through podnet's CNI plugins as a runtime attaches them, an outside host at 192.168.1.200, " +
    'and in router mode a router at 192.168.1.1. Running it again with the same flags changes nothing; with other flags it ' +
    'refuses. A lab left broken (a build that died, namespaces removed by hand) is rebuilt. With --control-plane kubernetes ' +
    "the Nodes and Pods live in a local Kubernetes API endpoint (a test double for offline use, on this machine's loopback " +
    'and a unix socket bridged into each node), and every node runs podnet as the DaemonSet in deploy/ does: the install ' +
    "step waiting for its Node's podCIDR, then the agent in --kubernetes mode.",
  options: [
    { name: 'nodes', value: 'N', help: 'how many nodes', default: '3' },
    { name: 'pods-per-node', value: 'K', help: 'pods on each node (default/web-1, web-2, …)', default: '2' },
    {
      name: 'routing',
      value: 'MODE',
      help: 'host-gw (each node routes to the others) or router (a router holds the table)',
      default: 'host-gw',
    },
    {
      name: 'control-plane',
      value: 'KIND',
      help: "lab (the nodes read the lab's inventory) or kubernetes (a local API endpoint, nodes set up as the DaemonSet does)",
      default: 'lab',
    },
    labIdOption,
  ],
  reports: true,
  run: lazyRun(labRun, (m) => m.runLabUp),
};

const apiServerCommand: Command = {
  path: ['lab', 'api-server'],
  summary: "serve the lab's Kubernetes API endpoint (lab up starts it)",
  usage: 'podnet lab api-server [--lab-id ID]',
  description:
    '"podnet lab up --control-plane kubernetes" starts this in the background and stops it with "lab down"; it is not ' +
    'meant to be run by hand. A test double of the Kubernetes API for offline use (Nodes, Pods, Secrets; list, watch and ' +
    "the lab's writes), on 127.0.0.1 and on the lab's unix socket, with the lab's bearer token. podnet targets a real API " +
    'server.',
  options: [labIdOption],
  reports: false,
  run: lazyRun(labRun, (m) => m.runApiServer),
};

const labDownCommand: Command = {
  path: ['lab', 'down'],
  summary: 'remove the lab: every namespace and file it made',
  usage: 'podnet lab down [--lab-id ID] [--json]',
  description:
    'Removes every namespace and file the lab made, also of a lab whose build died half-way. Running it twice is fine.',
  options: [labIdOption],
  reports: true,
  run: lazyRun(labRun, (m) => m.runLabDown),
};

const labStatusCommand: Command = {
  path: ['lab', 'status'],
  summary: 'what the lab holds: nodes, pods, router, outside host',
  usage: 'podnet lab status [--lab-id ID] [--json]',
  description:
    "Prints the lab's inventory, and whether any of its namespaces has gone missing. Exits 1 when no lab is up.",
  options: [labIdOption],
  reports: true,
  run: lazyRun(
    () => import('./lab-status.js'),
    (m) => m.runLabStatus,
  ),
};

const podAddCommand: Command = {
  path: ['lab', 'pod', 'add'],
  summary: 'attach a new pod on a node through the CNI plugins',
  usage: 'podnet lab pod add POD --node NODE [--lab-id ID] [--json]',
  description:
    "Creates the pod's network namespace and runs the node's conflist on it, as a container runtime does. POD is NAMESPACE/NAME, or NAME in the default namespace.",
  options: [{ name: 'node', value: 'NODE', help: 'the node to run it on' }, labIdOption],
  reports: true,
  run: lazyRun(labRun, (m) => m.runPodAdd),
};

const podDelCommand: Command = {
  path: ['lab', 'pod', 'del'],
  summary: 'remove a pod (CNI DEL, then its namespace)',
  usage: 'podnet lab pod del POD [--lab-id ID] [--json]',
  description: "Runs CNI DEL for the pod through its node's conflist, then removes its network namespace.",
  options: [labIdOption],
  reports: true,
  run: lazyRun(labRun, (m) => m.runPodDel),
};

const nodeAddCommand: Command = {
  path: ['lab', 'node', 'add'],
  summary: 'add a node (next free number, its subnet, routes everywhere)',
  usage: 'podnet lab node add [NAME] [--lab-id ID] [--json]',
  description:
    'Adds a node with the next free number N: 192.168.1.(10+N), pod subnet 10.244.N.0/24, and the route to that subnet on every other node (host-gw) or on the router. NAME defaults to nodeN.',
  options: [labIdOption],
  reports: true,
  run: lazyRun(labRun, (m) => m.runNodeAdd),
};

const nodeDelCommand: Command = {
  path: ['lab', 'node', 'del'],
  summary: 'remove a node, its pods, and the routes to its subnet',
  usage: 'podnet lab node del NAME [--lab-id ID] [--json]',
  description:
    "Removes the node's pods and namespace, and the route to its pod subnet from every other node (or the router).",
  options: [labIdOption],
  reports: true,
  run: lazyRun(labRun, (m) => m.runNodeDel),
};

const execCommand: Command = {
  path: ['lab', 'exec'],
  summary: "run a command inside a pod's (or node's) network namespace",
  usage: 'podnet lab exec POD|NODE [--lab-id ID] -- CMD [ARG…]',
  description:
    "Runs CMD in the network namespace of a pod (NAMESPACE/NAME or NAME), or of a node, router or outside host by name, with this terminal. Exits with CMD's status.",
  options: [labIdOption],
  reports: false,
  run: lazyRun(labRun, (m) => m.runExec),
};

export const labCommands: Command[] = [
  labUpCommand,
  labDownCommand,
  labStatusCommand,
  apiServerCommand,
  podAddCommand,
  podDelCommand,
  nodeAddCommand,
  nodeDelCommand,
  execCommand,
];
