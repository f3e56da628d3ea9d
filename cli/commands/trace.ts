// podnet trace FROM TO: the path from a pod to a pod (or an IPv4 address), hop by hop and
// back, checked against each node's kernel, with a live probe and the diagnosis of the
// first break and its fix. Runs on the lab. Exit 0 the path works, 1 broken, 2 bad
// input, 3 unknown (not enough could be verified). The table's entry only: the run is
// ./trace-run.ts, loaded when it runs.
import { lazyRun, type Command } from '../command.js';
import { labIdOption } from '../options.js';

export const trace: Command = {
  path: ['trace'],
  summary: 'trace the path from a pod to a pod or an address, hop by hop, with the cause of a break and its fix',
  usage: 'podnet trace FROM TO [--port N] [--no-probe] [--lab-id ID] [--json]',
  description:
    'Follows a packet from the pod FROM (NAME or NAMESPACE/NAME) to TO (a pod or an IPv4 address) through every namespace ' +
    "it crosses — the pod's route, its veth and the node's bridge, the node's routing table, the LAN, the next node or the " +
    "router — and back, from the agents' view of each node. Each node's agent then asks its own kernel the same question " +
    "(ip route get … iif …, link state, forwarding, firewall), and a probe runs from FROM: ping, a ping as large as the pod's " +
    'MTU with DF set, traceroute, and with --port a TCP connection (a refused connection counts as reachable). It prints each ' +
    'hop, the probe, and the first break with its cause and the command that fixes it. --no-probe sends no packets. ' +
    'Exit 0: the path works; 1: broken; 2: bad input; 3: unknown (not enough could be verified).',
  options: [
    { name: 'port', value: 'N', help: 'also open a TCP connection to this port of TO' },
    { name: 'no-probe', help: "send no packets: the expected path and the kernel's lookups only" },
    labIdOption,
  ],
  reports: true,
  run: lazyRun(
    () => import('./trace-run.js'),
    (m) => m.runTraceCommand,
  ),
};
