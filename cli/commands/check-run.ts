// The run of podnet check (its table entry is ./check.ts).
import { flag } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { requireLab } from '../../lab/lab.js';
import { renderMatrix, runCheck } from '../../lab/check.js';
import { labCall, pathsOf } from './lab-call.js';

export const runCheckCommand: Run = async (args, io) => {
  const lab = await labCall(async () => requireLab(pathsOf(args)));
  const report = await runCheck(lab, (m) => io.err(`check: ${m}`), { full: flag(args, 'full') });
  if (io.json) io.out(JSON.stringify(report));
  else {
    io.out(renderMatrix(report));
    if (report.sampled) io.out('(sampled: one pod per node for each sender; --full checks every pair)');
    io.out(
      report.ok
        ? `\nall ${report.pairs.length} pod pairs and ${report.outside.length} outside paths hold the network model`
        : `\n${report.failures.length} failure(s):\n${report.failures.map((f) => `  ${f}`).join('\n')}`,
    );
  }
  if (!report.ok) throw new CommandError(`${report.failures.length} check(s) failed`);
};
