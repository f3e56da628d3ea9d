// podnet firewall render. The table's entry only: the run is ./firewall-run.ts, loaded
// when it runs.
import { lazyRun, type Command } from '../command.js';
import { labIdOption } from '../options.js';

export const firewallRender: Command = {
  path: ['firewall', 'render'],
  summary: "print a node's firewall: podnet's nftables table and its FORWARD accepts",
  usage: 'podnet firewall render --node NAME [--restrict-input] [--lab-id ID] [--json]',
  description:
    'Prints the nftables ruleset podnet keeps in its own table on NAME (forwarding of pod traffic inside the cluster network, ' +
    'masquerade of pod traffic leaving it, and with --restrict-input an input chain that accepts from the other nodes only the ' +
    'control-plane ports, plus SSH and established traffic), and the iptables FORWARD accepts it places outside its table. ' +
    'The node is read from the lab; the lab applies this ruleset with input restricted. Nothing is applied.',
  options: [
    { name: 'node', value: 'NAME', help: 'the node' },
    { name: 'restrict-input', help: 'include the input restriction (the lab applies it)' },
    labIdOption,
  ],
  reports: true,
  run: lazyRun(
    () => import('./firewall-run.js'),
    (m) => m.runFirewallRender,
  ),
};
