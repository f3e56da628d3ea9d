// podnet firewall render
import { flag, str } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { firewallInput } from '../../lab/firewall.js';
import { requireLab } from '../../lab/lab.js';
import { OPEN_PORTS, portRange, renderFirewall } from '../../lib/firewall/render.js';
import { labCall, labIdOption, pathsOf } from './lab.js';

export const firewallRender: Command = {
  path: ['firewall', 'render'],
  summary: "print a node's firewall: podnet's nftables table and its FORWARD accepts",
  usage: 'podnet firewall render --node NAME [--restrict-input] [--lab-id ID] [--json]',
  description:
    'Prints the nftables ruleset podnet keeps in its own table on NAME (forwarding of pod traffic inside the cluster network, ' +
    'masquerade of pod traffic leaving it, and with --restrict-input an input chain that accepts from the other nodes only the ' +
    'control-plane ports, plus SSH and established traffic), and the iptables FORWARD accepts it places outside its table. ' +
    'The node is read from the lab; the lab applies this ruleset with input restricted. Nothing is applied.',
  options: [{ name: 'node', value: 'NAME', help: 'the node' }, { name: 'restrict-input', help: 'include the input restriction (the lab applies it)' }, labIdOption],
  reports: true,
  async run(args, io) {
    const name = str(args, 'node');
    if (!name) throw new CommandError('--node NAME is required', 2);
    const lab = await labCall(async () => requireLab(pathsOf(args)));
    const node = lab.nodes.find((n) => n.name === name);
    if (!node) throw new CommandError(`no node ${name} in the lab (nodes: ${lab.nodes.map((n) => n.name).join(', ')})`);
    const rules = renderFirewall(firewallInput(lab, node, flag(args, 'restrict-input')));
    if (io.json) return io.out(JSON.stringify({ node: name, ...rules, openPorts: flag(args, 'restrict-input') ? OPEN_PORTS : [] }));
    io.out(`# podnet firewall for ${name} (${node.ip}, pods ${node.podCIDR}); apply with: nft -f -`);
    io.out(rules.nft.trimEnd());
    io.out('\n# outside podnet\'s table: the iptables FORWARD accepts (a drop policy there would otherwise be final)');
    for (const r of rules.forwardAccept) io.out(`iptables -I FORWARD ${r.map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ')}`);
    if (flag(args, 'restrict-input')) {
      io.out('\n# open on this node:');
      for (const p of OPEN_PORTS) io.out(`#   ${p.proto} ${portRange(p).padEnd(12)} from ${p.source.padEnd(9)} ${p.name}: ${p.why}`);
    }
  },
};
