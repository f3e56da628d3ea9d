// podnet trace FROM TO: the path from a pod to a pod (or an IPv4 address), hop by hop and
// back, checked against each node's kernel, with a live probe and the diagnosis of the
// first break and its fix. Runs on the lab. Exit 0 the path works, 1 broken, 2 bad
// input, 3 unknown (not enough could be verified).
import { str, flag } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { requireLab } from '../../lab/lab.js';
import { labTrace } from '../../lab/trace-inputs.js';
import { TRACE_EXIT, type TraceFix, type TraceResult } from '../../lib/model/trace.js';
import { renderTraceText } from '../../lib/trace/render.js';
import { runTrace, TraceInputError, validateTraceRequest } from '../../lib/trace/run.js';
import { labCall, labIdOption, pathsOf } from './lab.js';

/** The fix as a lab user runs it: `podnet lab exec NODE -- …`, one line per command. */
export function labFixLines(labId: string | null): (fix: TraceFix) => string[] {
  const id = labId ? ` --lab-id ${labId}` : '';
  return (fix) => (fix.node ? [`in the lab: ${fix.commands.map((c) => `bin/podnet lab exec ${fix.node}${id} -- ${c.join(' ')}`).join(' && ')}`] : []);
}

function progressLine(r: TraceResult): string {
  const checks = r.checks.filter((c) => !c.late);
  const answered = checks.filter((c) => c.result || c.error).length;
  const p = r.probe;
  const probe = !p ? '' : `, probe ${[p.ping && 'ping', p.largePing && 'large ping', p.traceroute && 'traceroute', p.tcp && 'tcp'].filter(Boolean).join(' ') || 'running'}`;
  return `trace: ${r.forward.length} hops there, ${r.back.length} back; kernel ${answered}/${checks.length} lookups${r.phase !== 'path' ? probe : ''}`;
}

export const trace: Command = {
  path: ['trace'],
  summary: 'trace the path from a pod to a pod or an address, hop by hop, with the cause of a break and its fix',
  usage: 'podnet trace FROM TO [--port N] [--no-probe] [--lab-id ID] [--json]',
  description:
    'Follows a packet from the pod FROM (NAME or NAMESPACE/NAME) to TO (a pod or an IPv4 address) through every namespace ' +
    'it crosses — the pod\'s route, its veth and the node\'s bridge, the node\'s routing table, the LAN, the next node or the ' +
    'router — and back, from the agents\' view of each node. Each node\'s agent then asks its own kernel the same question ' +
    '(ip route get … iif …, link state, forwarding, firewall), and a probe runs from FROM: ping, a ping as large as the pod\'s ' +
    'MTU with DF set, traceroute, and with --port a TCP connection (a refused connection counts as reachable). It prints each ' +
    'hop, the probe, and the first break with its cause and the command that fixes it. --no-probe sends no packets. ' +
    'Exit 0: the path works; 1: broken; 2: bad input; 3: unknown (not enough could be verified).',
  options: [
    { name: 'port', value: 'N', help: 'also open a TCP connection to this port of TO' },
    { name: 'no-probe', help: 'send no packets: the expected path and the kernel\'s lookups only' },
    labIdOption,
  ],
  reports: true,
  async run(args, io) {
    const [from, to, ...extra] = args.positionals;
    if (!from || !to || extra.length) throw new CommandError('usage: podnet trace FROM TO [--port N]: FROM a pod, TO a pod or an IPv4 address', TRACE_EXIT.badInput);
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
  },
};
