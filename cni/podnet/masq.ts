// ipMasq with clusterNetwork: pod traffic leaving the cluster network is masqueraded,
// traffic inside it never is. One nftables table per network, replaced atomically (one
// `nft -f` transaction), so repeated ADDs converge on one rule instead of piling up.
import { nft, NetError } from '../../lib/net/ip.js';
import { hashHex } from '../../lib/model/hash.js';
import { formatCidr, type Subnet } from '../../lib/model/ipv4.js';

export function masqTableName(network: string): string {
  return 'podnet_masq_' + hashHex(network, 10);
}

export function masqScript(network: string, sources: Subnet[], cluster: Subnet[]): string {
  const table = masqTableName(network);
  const keep = cluster.map((c) => ` ip daddr != ${formatCidr(c)}`).join('');
  const rules = sources
    .map((s) => `    ip saddr ${formatCidr(s)}${keep} ip daddr != 224.0.0.0/4 masquerade`)
    .join('\n');
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    `  comment "podnet ipMasq for network ${network}"`,
    `  chain postrouting {`,
    `    type nat hook postrouting priority srcnat; policy accept;`,
    rules,
    `  }`,
    `}`,
    '',
  ].join('\n');
}

export function ensureMasquerade(network: string, sources: Subnet[], cluster: Subnet[]): void {
  nft(masqScript(network, sources, cluster));
}

export function removeMasquerade(network: string): void {
  try {
    nft(`delete table ip ${masqTableName(network)}\n`);
  } catch (e) {
    if (!(e instanceof NetError && /No such file or directory/.test(e.stderr))) throw e;
  }
}
