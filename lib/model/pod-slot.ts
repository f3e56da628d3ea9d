// A pod's slot in its node's box: where the graph draws it (components/topology/layout.ts)
// follows from its address in the node's pod subnet, so a pod never moves while it keeps
// its IP. Here, not in the layout, because the server's node summaries carry the highest
// slot each node uses (lib/model/summary.ts): a page that has not loaded a node's pods
// still sizes its box as the pods will need. Isomorphic and pure.
import { parseCidr, prefixContains, type Ipv4Prefix } from './ipv4';

/** 256 slots hold a whole /24 (253 pod addresses); higher addresses of a larger subnet
 *  overflow (see layout.ts) */
export const MAX_SLOTS = 256;

/** The slot of an IP in a pod subnet: the first pod address (.2 in a /24) is slot 0.
 *  null when it has no slot: no IP, not in the subnet, the network/gateway/broadcast
 *  address, or beyond MAX_SLOTS. */
export function slotOf(ip: string | null, podCIDR: string | null): number | null {
  if (!ip || !podCIDR) return null;
  return slotIn(ip, parseCidr(podCIDR));
}

export function slotIn(ip: string | null, net: Ipv4Prefix | null): number | null {
  if (!ip || !net) return null;
  const addr = quickIpv4(ip);
  if (addr === null || !prefixContains(net, addr)) return null;
  const offset = addr - net.network;
  const size = 2 ** (32 - net.length);
  if (offset < 2 || offset >= size - 1) return null;
  const slot = offset - 2;
  return slot < MAX_SLOTS ? slot : null;
}

/** parseIpv4 without its regular expressions: layout reads 10,000 addresses per draw.
 *  Same answers (tested against it): four decimal octets, no leading zeros. */
export function quickIpv4(text: string): number | null {
  let n = 0;
  let octet = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return null;
      n = n * 256 + octet;
      octet = -1;
      digits = 0;
      if (++dots > 3) return null;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return null; // "01"
      octet = (octet < 0 ? 0 : octet * 10) + (c - 48);
      if (++digits > 3 || octet > 255) return null;
    } else return null;
  }
  if (dots !== 3 || digits === 0) return null;
  return n * 256 + octet;
}
