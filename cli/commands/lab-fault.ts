// podnet lab fault KIND | list | clear: break the running lab on purpose, see what is
// broken, heal it. The trace and the dashboard are meant to find each of these. The
// table's entries only: the runs are ./lab-fault-run.ts, loaded when one runs.
import { lazyRun, type Command } from '../command.js';
import { labIdOption } from '../options.js';

const faultRun = () => import('./lab-fault-run.js');

const KIND_HELP = [
  "missing-route (a node loses its route to the next node's pods, or to --pod's node; on a router lab the router forgets node2's pods, or --pod's)",
  'wrong-gateway (that route points at 192.168.1.99, which nobody holds)',
  "bridge-down (the node's v-net-0 set down)",
  "veth-down, veth-detached (--pod's veth set down, or taken off the bridge)",
  'no-forwarding (ip_forward=0)',
  "forward-drop (iptables FORWARD policy DROP without podnet's accepts)",
  "mtu-mismatch (the node's eth0 MTU 1000; default node2)",
  'stale-lease (an address leased on the node to no pod; default node2)',
].join('; ');

const faultAddCommand: Command = {
  path: ['lab', 'fault'],
  summary: "break the running lab the way an operator's mistake would",
  usage: `podnet lab fault KIND [--node NODE] [--pod POD] [--lab-id ID] [--json]`,
  description:
    `Breaks the lab and records the fault in its inventory; the node's agent leaves a recorded fault alone (no route repair) ` +
    `and reports it as held, so a trace sees the broken network. KIND is one of: ${KIND_HELP}. --node defaults to node1 ` +
    `(node2 where said). "podnet lab fault clear" heals every fault. Adding a pod on a faulted node may undo a fault ` +
    `(an ADD brings the bridge up): fault the lab after adding pods.`,
  options: [
    { name: 'node', value: 'NODE', help: 'the node to break' },
    { name: 'pod', value: 'POD', help: 'the pod (veth faults) or the pod whose node a route fault cuts off' },
    labIdOption,
  ],
  reports: true,
  run: lazyRun(faultRun, (m) => m.runFaultAdd),
};

const faultListCommand: Command = {
  path: ['lab', 'fault', 'list'],
  summary: 'the faults the lab holds',
  usage: 'podnet lab fault list [--lab-id ID] [--json]',
  description:
    'Prints each fault made with "podnet lab fault" and not cleared yet: its kind, node and what it changed.',
  options: [labIdOption],
  reports: true,
  run: lazyRun(faultRun, (m) => m.runFaultList),
};

const faultClearCommand: Command = {
  path: ['lab', 'fault', 'clear'],
  summary: 'heal every fault the lab holds',
  usage: 'podnet lab fault clear [--lab-id ID] [--json]',
  description:
    'Undoes every recorded fault (what was fixed already stays fixed), forgets them, and waits until the agents manage the nodes again.',
  options: [labIdOption],
  reports: true,
  run: lazyRun(faultRun, (m) => m.runFaultClear),
};

export const faultCommands: Command[] = [faultAddCommand, faultListCommand, faultClearCommand];
