import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4 } from '../model/ipv4.js';
import { allocate, RangeExhaustedError } from './allocator.js';
import { parseRange } from './range.js';
import type { Lease, LeaseStore } from './store.js';

/** The store interface in memory: for allocator order and exhaustion, not for disk races. */
class MemoryStore implements LeaseStore {
  leases = new Map<number, Lease>();
  last = new Map<number, number>();
  locked<T>(fn: () => T): T {
    return fn();
  }
  reserve(ip: number, containerID: string, ifname: string, set: number): boolean {
    if (this.leases.has(ip)) return false;
    this.leases.set(ip, { ip, containerID, ifname });
    this.last.set(set, ip);
    return true;
  }
  release(containerID: string, ifname: string): number[] {
    const out = [...this.leases.values()]
      .filter((l) => l.containerID === containerID && l.ifname === ifname)
      .map((l) => l.ip);
    for (const ip of out) this.leases.delete(ip);
    return out;
  }
  releaseIp(ip: number): void {
    this.leases.delete(ip);
  }
  list(): Lease[] {
    return [...this.leases.values()];
  }
  lastReserved(set: number): number | null {
    return this.last.get(set) ?? null;
  }
}

const ip = (s: string) => parseIpv4(s)!;

describe('allocate', () => {
  it('starts after the gateway and goes round-robin, not reusing a released address at once', () => {
    const store = new MemoryStore();
    const set = [parseRange({ subnet: '10.244.1.0/24' })];
    expect(formatIpv4(allocate(store, set, 0, 'a', 'eth0').ip)).toBe('10.244.1.2');
    expect(formatIpv4(allocate(store, set, 0, 'b', 'eth0').ip)).toBe('10.244.1.3');
    store.release('a', 'eth0');
    expect(formatIpv4(allocate(store, set, 0, 'c', 'eth0').ip)).toBe('10.244.1.4');
  });

  it('wraps around to the start of the range', () => {
    const store = new MemoryStore();
    const set = [parseRange({ subnet: '10.244.1.0/24', rangeStart: '10.244.1.10', rangeEnd: '10.244.1.12' })];
    const got = ['a', 'b', 'c'].map((id) => formatIpv4(allocate(store, set, 0, id, 'eth0').ip));
    expect(got).toEqual(['10.244.1.10', '10.244.1.11', '10.244.1.12']);
    store.release('a', 'eth0');
    expect(formatIpv4(allocate(store, set, 0, 'd', 'eth0').ip)).toBe('10.244.1.10');
  });

  it('moves on to the next range of the set', () => {
    const store = new MemoryStore();
    const set = [parseRange({ subnet: '10.244.1.0/30' }), parseRange({ subnet: '10.244.2.0/30' })];
    expect(formatIpv4(allocate(store, set, 0, 'a', 'eth0').ip)).toBe('10.244.1.2');
    expect(formatIpv4(allocate(store, set, 0, 'b', 'eth0').ip)).toBe('10.244.2.2');
  });

  it('names the range when it is exhausted', () => {
    const store = new MemoryStore();
    const set = [parseRange({ subnet: '10.244.1.0/24', rangeStart: '10.244.1.10', rangeEnd: '10.244.1.10' })];
    allocate(store, set, 0, 'a', 'eth0');
    expect(() => allocate(store, set, 0, 'b', 'eth0')).toThrow(
      new RangeExhaustedError('10.244.1.0/24 (10.244.1.10-10.244.1.10)'),
    );
  });

  it('skips an address taken behind its back (reserve returns false)', () => {
    const store = new MemoryStore();
    store.leases.set(ip('10.244.1.2'), { ip: ip('10.244.1.2'), containerID: 'x', ifname: 'eth0' });
    const set = [parseRange({ subnet: '10.244.1.0/24' })];
    expect(formatIpv4(allocate(store, set, 0, 'a', 'eth0').ip)).toBe('10.244.1.3');
  });
});

describe('parseRange', () => {
  it('applies host-local defaults', () => {
    const r = parseRange({ subnet: '10.244.1.0/24' });
    expect([r.start, r.end, r.gateway].map((n) => formatIpv4(n!))).toEqual([
      '10.244.1.1',
      '10.244.1.254',
      '10.244.1.1',
    ]);
  });
  it.each([
    [{ subnet: '10.244.1.0/33' }, /is not a CIDR/],
    [{ subnet: 'fd00::/64' }, /IPv6 ranges are not supported yet/],
    [{ subnet: '10.244.1.0/31' }, /too small/],
    [
      { subnet: '10.244.1.0/24', rangeStart: '10.244.2.1' },
      /rangeStart 10\.244\.2\.1 is outside subnet 10\.244\.1\.0\/24/,
    ],
    [{ subnet: '10.244.1.0/24', rangeStart: '10.244.1.9', rangeEnd: '10.244.1.3' }, /is after rangeEnd/],
  ])('refuses %j', (r, msg) => {
    expect(() => parseRange(r)).toThrow(msg);
  });
});
