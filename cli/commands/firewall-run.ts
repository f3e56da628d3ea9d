// The run of podnet firewall render (its table entry is ./firewall.ts).
import { flag, str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { firewallInput } from '../../lab/firewall.js';
import { requireLab } from '../../lab/lab.js';
import { OPEN_PORTS, portRange, renderFirewall } from '../../lib/firewall/render.js';
import { labCall, pathsOf } from './lab-call.js';

export const runFirewallRender: Run = async (args, io) => {
  const name = str(args, 'node');
  if (!name) throw new CommandError('--node NAME is required', 2);
  const lab = await labCall(async () => requireLab(pathsOf(args)));
  const node = lab.nodes.find((n) => n.name === name);
  if (!node) throw new CommandError(`no node ${name} in the lab (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`);
  const rules = renderFirewall(firewallInput(lab, node, flag(args, 'restrict-input')));
  if (io.json)
    return io.out(JSON.stringify({ node: name, ...rules, openPorts: flag(args, 'restrict-input') ? OPEN_PORTS : [] }));
  io.out(`# podnet firewall for ${name} (${node.ip}, pods ${node.podCIDR}); apply with: nft -f -`);
  io.out(rules.nft.trimEnd());
  io.out("\n# outside podnet's table: the iptables FORWARD accepts (a drop policy there would otherwise be final)");
  for (const r of rules.forwardAccept)
    io.out(`iptables -I FORWARD ${r.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ')}`);
  if (flag(args, 'restrict-input')) {
    io.out('\n# open on this node:');
    for (const p of OPEN_PORTS)
      io.out(`#   ${p.proto} ${portRange(p).padEnd(12)} from ${p.source.padEnd(9)} ${p.name}: ${p.why}`);
  }
};
