// podnet check. The table's entry only: the run is ./check-run.ts, loaded when it runs.
import { lazyRun, type Command } from '../command.js';
import { labIdOption } from '../options.js';

export const check: Command = {
  path: ['check'],
  summary: 'verify the Kubernetes network model on the lab, with real traffic',
  usage: 'podnet check [--lab-id ID] [--full] [--json]',
  description:
    'Checks that every pod has a unique IP; that every pod reaches every other pod, on its node and across nodes (ping and a ' +
    "TCP connection); that the receiving pod sees the sender's own pod IP (no NAT); and that a pod reaching the outside host " +
    "is seen there as its node's IP (masquerade). Prints a matrix and the failing pairs; exits 1 when anything fails. Above 40 " +
    'pods each pod checks one pod per node unless --full.',
  options: [labIdOption, { name: 'full', help: 'check every pair even on a big lab' }],
  reports: true,
  run: lazyRun(
    () => import('./check-run.js'),
    (m) => m.runCheckCommand,
  ),
};
