import { describe, expect, it } from 'vitest';
import { broadcastOf, formatCidr, formatIpv4, parseCidr, parseIpv4, prefixContains, prefixesOverlap } from './ipv4';

describe('ipv4', () => {
  it('parses and formats addresses, refusing what is not one', () => {
    expect(formatIpv4(parseIpv4('10.244.1.2')!)).toBe('10.244.1.2');
    expect(formatIpv4(parseIpv4('255.255.255.255')!)).toBe('255.255.255.255');
    for (const bad of ['10.244.1', '10.244.1.256', '01.2.3.4', '1.2.3.4.5', '', 'a.b.c.d', '1.2.3.-1'])
      expect(parseIpv4(bad)).toBeNull();
  });
  it('parses prefixes, clearing host bits in network but keeping the address', () => {
    const p = parseCidr('10.244.1.1/24')!;
    expect(formatCidr(p)).toBe('10.244.1.0/24');
    expect(formatIpv4(p.address)).toBe('10.244.1.1');
    expect(formatIpv4(broadcastOf(p))).toBe('10.244.1.255');
    expect(parseCidr('0.0.0.0/0')!.length).toBe(0);
    for (const bad of ['10.244.1.0', '10.244.1.0/33', '10.244.1.0/', 'fd00::/64']) expect(parseCidr(bad)).toBeNull();
  });
  it('answers containment and overlap', () => {
    const cluster = parseCidr('10.244.0.0/16')!;
    expect(prefixContains(cluster, parseIpv4('10.244.3.7')!)).toBe(true);
    expect(prefixContains(cluster, parseIpv4('10.245.0.1')!)).toBe(false);
    expect(prefixesOverlap(cluster, parseCidr('10.244.2.0/24')!)).toBe(true);
    expect(prefixesOverlap(parseCidr('10.244.1.0/24')!, parseCidr('10.244.2.0/24')!)).toBe(false);
  });
});
