// IPv4 addresses and prefixes as plain numbers. Pure and isomorphic: the CNI plugins,
// the agent and the dashboard all reason about the same subnets with these helpers.

export interface Ipv4Prefix {
  /** network address as an unsigned 32-bit number (host bits cleared) */
  network: number;
  /** the address as written (host bits may be set, e.g. 10.244.1.1/24) */
  address: number;
  length: number;
}

/** A network: address with host bits cleared, and its length. */
export type Subnet = Pick<Ipv4Prefix, 'network' | 'length'>;

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function isIpv6Literal(text: string): boolean {
  return text.includes(':');
}

export function maskOf(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/** Parses "a.b.c.d/len". Returns null for anything else (IPv6 included: callers say why). */
export function parseCidr(text: string): Ipv4Prefix | null {
  const slash = text.indexOf('/');
  if (slash < 0) return null;
  const address = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (address === null || !/^\d{1,2}$/.test(lenText)) return null;
  const length = Number(lenText);
  if (length > 32) return null;
  return { network: (address & maskOf(length)) >>> 0, address, length };
}

export function formatCidr(p: { network: number; length: number }): string {
  return `${formatIpv4(p.network)}/${p.length}`;
}

/** The address with the prefix's length: "10.244.1.2/24". */
export function formatAddressCidr(address: number, length: number): string {
  return `${formatIpv4(address)}/${length}`;
}

export function prefixContains(p: { network: number; length: number }, address: number): boolean {
  return (address & maskOf(p.length)) >>> 0 === p.network;
}

export function prefixesOverlap(
  a: { network: number; length: number },
  b: { network: number; length: number },
): boolean {
  const len = Math.min(a.length, b.length);
  const m = maskOf(len);
  return (a.network & m) >>> 0 === (b.network & m) >>> 0;
}

export function broadcastOf(p: { network: number; length: number }): number {
  return (p.network | (~maskOf(p.length) >>> 0)) >>> 0;
}
