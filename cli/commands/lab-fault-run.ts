// The runs of podnet lab fault KIND | list | clear (their table entries are in ./lab-fault.ts).
import { str } from '../args.js';
import { CommandError, type CommandIo, type Run } from '../command.js';
import { faultAdd, faultClear, faultList, parseFaultKind } from '../../lab/faults.js';
import { FAULT_KINDS, type LabFault } from '../../lib/model/lab.js';
import { labCall, pathsOf } from './lab-call.js';

function printFault(io: CommandIo, f: LabFault): void {
  io.out(`${f.kind.padEnd(14)} ${f.node.padEnd(8)} ${f.detail}`);
}

export const runFaultAdd: Run = async (args, io) => {
  const [kindText, ...extra] = args.positionals;
  if (!kindText || extra.length)
    throw new CommandError(
      `usage: podnet lab fault KIND [--node NODE] [--pod POD], KIND one of ${FAULT_KINDS.join(', ')}; or "lab fault list", "lab fault clear"`,
      2,
    );
  const f = await labCall(async () =>
    faultAdd(pathsOf(args), parseFaultKind(kindText), { node: str(args, 'node'), pod: str(args, 'pod') }),
  );
  if (io.json) return io.out(JSON.stringify(f));
  io.out(`broken: ${f.detail}`);
  io.out('"podnet lab fault list" shows what is broken; "podnet lab fault clear" heals it');
};

export const runFaultList: Run = async (args, io) => {
  const faults = await labCall(async () => faultList(pathsOf(args)));
  if (io.json) return io.out(JSON.stringify(faults));
  if (faults.length === 0) return io.out('no faults: the lab is as built');
  for (const f of faults) printFault(io, f);
};

export const runFaultClear: Run = async (args, io) => {
  const faults = await labCall(() => faultClear(pathsOf(args)));
  if (io.json) return io.out(JSON.stringify({ cleared: faults }));
  if (faults.length === 0) return io.out('no faults to clear');
  io.out(`healed ${faults.length} fault${faults.length > 1 ? 's' : ''}:`);
  for (const f of faults) printFault(io, f);
};
