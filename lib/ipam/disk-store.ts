// Leases on disk in host-local's layout: <dataDir>/<network>/<ip> holds
// "<containerID>\r\n<ifname>", and last_reserved_ip.<set> remembers where to go on.
// A lease is published with link(2) from a fully written temp file: link is atomic and
// fails if the name exists, so an address is never handed out twice and a process killed
// mid-write never leaves a lease without its owner.
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIpv4, parseIpv4 } from '../model/ipv4.js';
import { processStartTime } from '../proc/identity.js';
import { withLock } from '../proc/lock.js';
import type { Lease, LeaseStore } from './store.js';

const TMP_PREFIX = '.tmp-';

export class DiskLeaseStore implements LeaseStore {
  readonly dir: string;

  constructor(dataDir: string, network: string) {
    this.dir = join(dataDir, network);
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
  }

  locked<T>(fn: () => T): T {
    return withLock(join(this.dir, 'podnet.lock'), fn);
  }

  reserve(ip: number, containerID: string, ifname: string, rangeSetIndex: number): boolean {
    const tmp = join(this.dir, `${TMP_PREFIX}${process.pid}-${ip}`);
    writeFileSync(tmp, `${containerID}\r\n${ifname}`, { mode: 0o644 });
    try {
      linkSync(tmp, join(this.dir, formatIpv4(ip)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    } finally {
      unlinkSync(tmp);
    }
    writeFileSync(join(this.dir, `last_reserved_ip.${rangeSetIndex}`), formatIpv4(ip));
    return true;
  }

  release(containerID: string, ifname: string): number[] {
    const released: number[] = [];
    for (const lease of this.list()) {
      if (lease.containerID === containerID && lease.ifname === ifname) {
        this.releaseIp(lease.ip);
        released.push(lease.ip);
      }
    }
    return released;
  }

  releaseIp(ip: number): void {
    try {
      unlinkSync(join(this.dir, formatIpv4(ip)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  list(): Lease[] {
    const leases: Lease[] = [];
    for (const name of readdirSync(this.dir)) {
      const ip = parseIpv4(name);
      if (ip === null) continue;
      let text: string;
      try {
        text = readFileSync(join(this.dir, name), 'utf8');
      } catch {
        continue; // released while we listed
      }
      const [containerID = '', ifname = ''] = text.split(/\r?\n/);
      leases.push({ ip, containerID: containerID.trim(), ifname: ifname.trim() });
    }
    return leases;
  }

  lastReserved(rangeSetIndex: number): number | null {
    try {
      return parseIpv4(readFileSync(join(this.dir, `last_reserved_ip.${rangeSetIndex}`), 'utf8').trim());
    } catch {
      return null;
    }
  }

  /** Temp files left by a process killed between write and link. */
  removeOrphanTempFiles(): void {
    for (const name of readdirSync(this.dir)) {
      if (!name.startsWith(TMP_PREFIX)) continue;
      const pid = Number(name.slice(TMP_PREFIX.length).split('-')[0]);
      // The temp file does not record a start time: a live PID is enough to leave it be.
      if (processStartTime(pid) === null) {
        try {
          unlinkSync(join(this.dir, name));
        } catch {
          /* gone already */
        }
      }
    }
  }
}
