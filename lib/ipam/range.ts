// host-local's range semantics: a range is a subnet with optional start, end and gateway;
// a range set is a list of ranges of which one address is allocated. Defaults match
// host-local: start = network + 1, end = broadcast - 1, gateway = network + 1.
import type { IpamRange } from '../model/cni.js';
import {
  broadcastOf,
  formatCidr,
  formatIpv4,
  isIpv6Literal,
  parseCidr,
  parseIpv4,
  prefixContains,
} from '../model/ipv4.js';

export interface Range {
  subnet: { network: number; length: number };
  start: number;
  end: number;
  gateway: number | null;
  /** as configured, for messages: "10.244.1.0/24" or "10.244.1.0/24 (10.244.1.10-10.244.1.20)" */
  label: string;
}

export type RangeSet = Range[];

/** A range podnet-ipam cannot use (named apart from JavaScript's own RangeError). */
export class IpRangeError extends Error {
  constructor(
    msg: string,
    readonly ipv6 = false,
  ) {
    super(msg);
  }
}

function addressIn(
  field: string,
  value: string | undefined,
  range: Range['subnet'],
  subnetText: string,
): number | undefined {
  if (value === undefined) return undefined;
  if (isIpv6Literal(value)) throw new IpRangeError(`ipam ${field} "${value}" is IPv6: IPv6 is not supported yet`, true);
  const n = parseIpv4(value);
  if (n === null) throw new IpRangeError(`ipam ${field} "${value}" is not an IPv4 address`);
  if (!prefixContains(range, n)) throw new IpRangeError(`ipam ${field} ${value} is outside subnet ${subnetText}`);
  return n;
}

export function parseRange(r: IpamRange): Range {
  if (typeof r.subnet !== 'string') throw new IpRangeError('ipam range has no "subnet"');
  if (isIpv6Literal(r.subnet))
    throw new IpRangeError(`ipam subnet "${r.subnet}" is IPv6: IPv6 ranges are not supported yet`, true);
  const p = parseCidr(r.subnet);
  if (!p) throw new IpRangeError(`ipam subnet "${r.subnet}" is not a CIDR such as 10.244.1.0/24`);
  if (p.length > 30)
    throw new IpRangeError(`ipam subnet ${r.subnet} is too small: it needs at least /30 to hold a gateway and a pod`);
  const subnetText = formatCidr(p);
  const start = addressIn('rangeStart', r.rangeStart, p, subnetText) ?? p.network + 1;
  const end = addressIn('rangeEnd', r.rangeEnd, p, subnetText) ?? broadcastOf(p) - 1;
  const gateway = addressIn('gateway', r.gateway, p, subnetText) ?? p.network + 1;
  if (start > end) throw new IpRangeError(`ipam rangeStart ${formatIpv4(start)} is after rangeEnd ${formatIpv4(end)}`);
  const bounded = r.rangeStart !== undefined || r.rangeEnd !== undefined;
  const label = bounded ? `${subnetText} (${formatIpv4(start)}-${formatIpv4(end)})` : subnetText;
  return { subnet: { network: p.network, length: p.length }, start, end, gateway, label };
}

export function rangeSetLabel(set: RangeSet): string {
  return set.map((r) => r.label).join(', ');
}

export function rangeSetContains(set: RangeSet, address: number): Range | undefined {
  return set.find((r) => address >= r.start && address <= r.end);
}
