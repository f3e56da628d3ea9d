// The run of podnet trace (its table entry is ./trace.ts): the lab's agents, the trace
// engine, and the text it prints.
import { str, flag } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { requireLab } from '../../lab/lab.js';
import { labTrace } from '../../lab/trace-inputs.js';
import { TRACE_EXIT, type TraceFix, type TraceResult } from '../../lib/model/trace.js';
import { renderTraceText } from '../../lib/trace/render.js';
import { runTrace, TraceInputError, validateTraceRequest } from '../../lib/trace/run.js';
import { labCall, pathsOf } from './lab-call.js';

/** The fix as a lab user runs it: `podnet lab exec NODE -- …`, one line per command. */
export function labFixLines(labId: string | null): (fix: TraceFix) => string[] {
  const id = labId ? ` --lab-id ${labId}` : '';
  return (fix) =>
    fix.node
      ? [
          `in the lab: ${fix.commands.map((c) => `bin/podnet lab exec ${fix.node}${id} -- ${c.join(' ')}`).join(' && ')}`,
        ]
      : [];
}

function progressLine(r: TraceResult): string {
  const checks = r.checks.filter((c) => !c.late);
  const answered = checks.filter((c) => c.result || c.error).length;
  const p = r.probe;
  const probe = !p
    ? ''
    : `, probe ${[p.ping && 'ping', p.largePing && 'large ping', p.traceroute && 'traceroute', p.tcp && 'tcp'].filter(Boolean).join(' ') || 'running'}`;
  return `trace: ${r.forward.length} hops there, ${r.back.length} back; kernel ${answered}/${checks.length} lookups${r.phase !== 'path' ? probe : ''}`;
}

export const runTraceCommand: Run = async (args, io) => {
  const [from, to, ...extra] = args.positionals;
  if (!from || !to || extra.length)
    throw new CommandError(
      'usage: podnet trace FROM TO [--port N]: FROM a pod, TO a pod or an IPv4 address',
      TRACE_EXIT.badInput,
    );
  let req;
  try {
    req = { ...validateTraceRequest({ from, to, port: str(args, 'port') }), noProbe: flag(args, 'no-probe') };
  } catch (e) {
    if (e instanceof TraceInputError) throw new CommandError(e.message, TRACE_EXIT.badInput);
    throw e;
  }
  const p = pathsOf(args);
  const inv = await labCall(async () => requireLab(p));
  const { inputs, deps } = await labTrace(inv);
  let lastLine = '';
  let result: TraceResult;
  try {
    result = await runTrace(inputs, req, deps, (r) => {
      if (io.json) return;
      const line = progressLine(r);
      if (line !== lastLine) io.err(line);
      lastLine = line;
    });
  } catch (e) {
    if (e instanceof TraceInputError) throw new CommandError(e.message, TRACE_EXIT.badInput);
    throw e;
  }
  if (io.json) io.out(JSON.stringify(result));
  else io.out(renderTraceText(result, labFixLines(p.labId)));
  return result.status === 'ok' ? TRACE_EXIT.ok : result.status === 'broken' ? TRACE_EXIT.broken : TRACE_EXIT.unknown;
};
