// A stable, fast, non-cryptographic string hash (cyrb53: 53 bits, good spread). The CNI
// plugin names kernel objects with it: loading node:crypto adds to every start-up, more
// than the hash is worth (bench/README.md). Nothing here needs collision resistance
// against an adversary — only distinct names for distinct containers on one node.
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** `length` hex digits (at most 13) of the hash. */
export function hashHex(text: string, length: number): string {
  return hash53(text).toString(16).padStart(14, '0').slice(-length);
}
