// The lease store behind podnet-ipam: small on purpose (as host-local's is), so the
// allocator can be tested against an in-memory store and the disk store can change.

export interface Lease {
  ip: number;
  containerID: string;
  ifname: string;
}

export interface LeaseStore {
  /** Runs fn with the store locked against other allocators. */
  locked<T>(fn: () => T): T;
  /** Claims ip for (containerID, ifname); false when it is taken. Atomic on its own. */
  reserve(ip: number, containerID: string, ifname: string, rangeSetIndex: number): boolean;
  /** Removes every lease of (containerID, ifname); returns the addresses released. */
  release(containerID: string, ifname: string): number[];
  releaseIp(ip: number): void;
  list(): Lease[];
  lastReserved(rangeSetIndex: number): number | null;
}
