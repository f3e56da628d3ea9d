// `--uplink auto`: the interface the other nodes are reached through, found rather than
// assumed. Cloud and bare-metal nodes name it ens5, enp0s3, bond0…; a fixed "eth0" would
// make every route the agent adds fail. The interface that holds this node's InternalIP
// (from its own Node) is the one; if none does (the address is on a load balancer or a
// NAT in front of the node), the one the kernel routes to a peer through.
import { ipJson } from '../lib/net/ip.js';

export const AUTO_UPLINK = 'auto';

interface AddrLink {
  ifname: string;
  addr_info?: { local?: string }[];
}

/** The interface holding `ip` in this network namespace, or null. */
export function interfaceHolding(ip: string): string | null {
  const links = ipJson<AddrLink>(['-4', 'addr', 'show']);
  return links.find((l) => (l.addr_info ?? []).some((a) => a.local === ip))?.ifname ?? null;
}

/** The interface the kernel sends to `ip` through, or null (no route). */
export function interfaceTowards(ip: string): string | null {
  try {
    return ipJson<{ dev?: string }>(['route', 'get', ip])[0]?.dev ?? null;
  } catch {
    return null;
  }
}

/** Resolves the uplink: `selfIp` is this node's InternalIP, `peerIp` any other node's (both
 *  parsed addresses). Null when neither answers. */
export function findUplink(selfIp: string | null, peerIp: string | null): string | null {
  return (selfIp ? interfaceHolding(selfIp) : null) ?? (peerIp ? interfaceTowards(peerIp) : null);
}
