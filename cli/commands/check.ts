// podnet check
import { flag } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { requireLab } from '../../lab/lab.js';
import { renderMatrix, runCheck } from '../../lab/check.js';
import { labCall, labIdOption, pathsOf } from './lab.js';

export const check: Command = {
  path: ['check'],
  summary: 'verify the Kubernetes network model on the lab, with real traffic',
  usage: 'podnet check [--lab-id ID] [--full] [--json]',
  description:
    'Checks that every pod has a unique IP; that every pod reaches every other pod, on its node and across nodes (ping and a ' +
    'TCP connection); that the receiving pod sees the sender\'s own pod IP (no NAT); and that a pod reaching the outside host ' +
    'is seen there as its node\'s IP (masquerade). Prints a matrix and the failing pairs; exits 1 when anything fails. Above 40 ' +
    'pods each pod checks one pod per node unless --full.',
  options: [labIdOption, { name: 'full', help: 'check every pair even on a big lab' }],
  reports: true,
  async run(args, io) {
    const lab = await labCall(async () => requireLab(pathsOf(args)));
    const report = await runCheck(lab, (m) => io.err(`check: ${m}`), { full: flag(args, 'full') });
    if (io.json) io.out(JSON.stringify(report));
    else {
      io.out(renderMatrix(report));
      if (report.sampled) io.out('(sampled: one pod per node for each sender; --full checks every pair)');
      io.out(report.ok ? `\nall ${report.pairs.length} pod pairs and ${report.outside.length} outside paths hold the network model` : `\n${report.failures.length} failure(s):\n${report.failures.map((f) => `  ${f}`).join('\n')}`);
    }
    if (!report.ok) throw new CommandError(`${report.failures.length} check(s) failed`);
  },
};
