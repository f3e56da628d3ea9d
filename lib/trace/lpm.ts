// Longest prefix match over a routing table as the agent read it: the lookup the kernel
// does for a destination in the main table. Pure.
import type { Route } from '../model/snapshot';
import { parseCidr, parseIpv4, prefixContains } from '../model/ipv4';

function prefixOf(dst: string): { network: number; length: number } | null {
  if (dst === 'default') return { network: 0, length: 0 };
  if (dst.includes('/')) return parseCidr(dst);
  const host = parseIpv4(dst);
  return host === null ? null : { network: host, length: 32 };
}

/** The most specific route whose destination holds `ip`; null when none does. */
export function longestPrefixMatch<R extends Pick<Route, 'dst'>>(routes: readonly R[], ip: string): R | null {
  const addr = parseIpv4(ip);
  if (addr === null) return null;
  let best: R | null = null;
  let bestLen = -1;
  for (const r of routes) {
    const p = prefixOf(r.dst);
    if (p && p.length > bestLen && prefixContains(p, addr)) {
      best = r;
      bestLen = p.length;
    }
  }
  return best;
}

/** Whether `ip` lies in `cidr` ("10.244.2.0/24"); false for anything unparsable. */
export function cidrHolds(cidr: string | null, ip: string | null): boolean {
  if (!cidr || !ip) return false;
  const p = parseCidr(cidr);
  const a = parseIpv4(ip);
  return p !== null && a !== null && prefixContains(p, a);
}
