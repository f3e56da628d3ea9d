// podnet-ipam's verbs over the disk lease store. The podnet plugin calls these in-process
// when its ipam.type is "podnet-ipam" (saving a second Node start-up per ADD); the
// podnet-ipam executable calls the same functions for other plugins (e.g. the reference
// bridge).
import { allocate, RangeExhaustedError } from '../../lib/ipam/allocator.js';
import { DiskLeaseStore } from '../../lib/ipam/disk-store.js';
import { LockTimeout } from '../../lib/proc/lock.js';
import { rangeSetContains, rangeSetLabel } from '../../lib/ipam/range.js';
import type { CniIpConfig, CniResult, ValidAttachment } from '../../lib/model/cni.js';
import { formatAddressCidr, formatIpv4, parseCidr } from '../../lib/model/ipv4.js';
import { CniError, ErrorCode } from '../errors.js';
import type { IpamSettings } from './conf.js';

export interface IpamAddOutcome {
  result: CniResult;
  /** false when the container already held these leases (ADD repeated) */
  fresh: boolean;
}

function locked<T>(store: DiskLeaseStore, fn: () => T): T {
  try {
    return store.locked(fn);
  } catch (e) {
    if (e instanceof LockTimeout) throw new CniError(ErrorCode.TryAgainLater, `lease store is busy: ${e.message}`);
    throw e;
  }
}

export function ipamAdd(
  s: IpamSettings,
  network: string,
  containerID: string,
  ifname: string,
  cniVersion: string,
): IpamAddOutcome {
  const store = new DiskLeaseStore(s.dataDir, network);
  return locked(store, () => {
    const held = store.list().filter((l) => l.containerID === containerID && l.ifname === ifname);
    const ips: CniIpConfig[] = [];
    const fresh = held.length === 0;
    const reserved: number[] = [];
    try {
      s.rangeSets.forEach((set, i) => {
        const existing = held.find((l) => rangeSetContains(set, l.ip));
        const allocation = existing
          ? { ip: existing.ip, range: rangeSetContains(set, existing.ip)! }
          : allocate(store, set, i, containerID, ifname);
        if (!existing) reserved.push(allocation.ip);
        const ip: CniIpConfig = { address: formatAddressCidr(allocation.ip, allocation.range.subnet.length) };
        if (allocation.range.gateway !== null) ip.gateway = formatIpv4(allocation.range.gateway);
        ips.push(ip);
      });
    } catch (e) {
      for (const ip of reserved) store.releaseIp(ip);
      if (e instanceof RangeExhaustedError)
        throw new CniError(ErrorCode.RangeExhausted, e.message, `network "${network}", lease store ${store.dir}`);
      throw e;
    }
    const result: CniResult = { cniVersion, ips, routes: s.routes };
    if (s.dns) result.dns = s.dns;
    return { result, fresh };
  });
}

export function ipamDel(s: IpamSettings, network: string, containerID: string, ifname: string): number[] {
  const store = new DiskLeaseStore(s.dataDir, network);
  return locked(store, () => store.release(containerID, ifname));
}

/** Spec 1.1 GC: release every lease whose attachment is not in the valid list, nor in what
 *  `inFlight` names. inFlight is asked under the lease lock: an ADD announces itself before
 *  it takes that lock, so every lease present then belongs to an ADD it can see. */
export function ipamGc(
  s: IpamSettings,
  network: string,
  valid: ValidAttachment[],
  inFlight: () => ValidAttachment[] = () => [],
): string[] {
  const store = new DiskLeaseStore(s.dataDir, network);
  return locked(store, () => {
    const keep = new Set([...valid, ...inFlight()].map((a) => `${a.containerID}\n${a.ifname}`));
    store.removeOrphanTempFiles();
    const released: string[] = [];
    for (const lease of store.list()) {
      if (keep.has(`${lease.containerID}\n${lease.ifname}`)) continue;
      store.releaseIp(lease.ip);
      released.push(formatIpv4(lease.ip));
    }
    return released;
  });
}

/** Spec 1.1 STATUS: ready when every range set still has a free address. */
export function ipamStatus(s: IpamSettings, network: string): void {
  const store = new DiskLeaseStore(s.dataDir, network);
  const taken = new Set(store.list().map((l) => l.ip));
  for (const set of s.rangeSets) {
    const free = set.some((r) => {
      for (let ip = r.start; ip <= r.end; ip++) if (ip !== r.gateway && !taken.has(ip)) return true;
      return false;
    });
    if (!free)
      throw new CniError(
        ErrorCode.PluginNotAvailable,
        `no free address in range ${rangeSetLabel(set)}: ADD would fail`,
      );
  }
}

/** CHECK: the container's addresses in prevResult are still leased to it. */
export function ipamCheck(
  s: IpamSettings,
  network: string,
  containerID: string,
  ifname: string,
  prev: CniResult,
): void {
  const store = new DiskLeaseStore(s.dataDir, network);
  const mine = new Set(
    store
      .list()
      .filter((l) => l.containerID === containerID && l.ifname === ifname)
      .map((l) => l.ip),
  );
  for (const ip of prev.ips ?? []) {
    const p = parseCidr(ip.address);
    if (p && !mine.has(p.address)) {
      throw new CniError(
        ErrorCode.CheckMismatch,
        `address ${ip.address} is not leased to container ${containerID}/${ifname} in ${store.dir}`,
      );
    }
  }
}
