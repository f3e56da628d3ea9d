// The agent's lookup requests: every field parsed into its type before anything runs, and
// every hostile value refused with what was wrong.
import { describe, expect, it } from 'vitest';
import { validIfname } from './ifname';
import { parseLookupRequest } from './lookup';

const one = (l: unknown) => parseLookupRequest({ lookups: [l] });

describe('lookup requests', () => {
  it('accepts each kind and canonicalises pod references', () => {
    const r = parseLookupRequest({
      lookups: [
        { kind: 'route', at: { pod: 'web-1' }, dst: '10.244.2.2' },
        { kind: 'route', at: { node: true }, dst: '10.244.2.2', from: '10.244.1.2', iif: 'v-net-0' },
        { kind: 'link', at: { node: true }, dev: 'veth0f4ad280209' },
        { kind: 'neigh', at: { node: true }, address: '192.168.1.12', dev: 'eth0' },
        { kind: 'sysctl', at: { node: true }, dev: 'v-net-0' },
        { kind: 'firewall', at: { node: true } },
      ],
    });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.lookups[0]).toEqual({ kind: 'route', at: { pod: 'web-1' }, dst: '10.244.2.2' });
  });

  for (const [what, lookup, message] of [
    [
      'a newline in an interface name',
      { kind: 'link', at: { node: true }, dev: 'eth0\nroute add 1.2.3.0/24 dev lo' },
      /interface name/,
    ],
    ['an interface name of 16 bytes', { kind: 'link', at: { node: true }, dev: 'a'.repeat(16) }, /interface name/],
    [
      'a "/" in a sysctl interface (a path escape)',
      { kind: 'sysctl', at: { node: true }, dev: '../../../etc' },
      /interface name/,
    ],
    ['".." as an interface', { kind: 'sysctl', at: { node: true }, dev: '..' }, /interface name/],
    [
      'an address with a command after it',
      { kind: 'route', at: { node: true }, dst: '10.244.2.2 via 1.2.3.4' },
      /IPv4 address/,
    ],
    [
      'an option smuggled as an address',
      { kind: 'neigh', at: { node: true }, address: '-batch', dev: 'eth0' },
      /IPv4 address/,
    ],
    ['iif without a source', { kind: 'route', at: { node: true }, dst: '10.244.2.2', iif: 'eth0' }, /iif needs from/],
    [
      'a pod reference with a shell character',
      { kind: 'route', at: { pod: 'web-1;reboot' }, dst: '10.244.2.2' },
      /not a pod reference/,
    ],
    ['a sysctl from a pod', { kind: 'sysctl', at: { pod: 'web-1' } }, /\{"node": true\}/],
    ['an unknown field', { kind: 'link', at: { node: true }, dev: 'eth0', exec: 'x' }, /unknown field "exec"/],
    ['an unknown kind', { kind: 'shell', at: { node: true } }, /kind must be one of/],
  ] as const) {
    it(`refuses ${what}`, () => {
      const r = one(lookup);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    });
  }

  it('refuses a body that is not {lookups: [1..32]}', () => {
    expect(parseLookupRequest([]).ok).toBe(false);
    expect(parseLookupRequest({ lookups: [] }).ok).toBe(false);
    expect(
      parseLookupRequest({ lookups: Array.from({ length: 33 }, () => ({ kind: 'firewall', at: { node: true } })) }).ok,
    ).toBe(false);
    expect(parseLookupRequest({ lookups: [], more: 1 }).ok).toBe(false);
  });

  it('counts interface names in bytes, as the kernel does', () => {
    expect(validIfname('eth0')).toBe(true);
    expect(validIfname('ä'.repeat(8))).toBe(false); // 16 bytes
    expect(validIfname('eth%d')).toBe(false); // the kernel would name it eth0
    expect(validIfname('ä'.repeat(7))).toBe(true); // 14 bytes
    expect(validIfname('eth0#')).toBe(true); // the kernel allows it; it never reaches batch text
    expect(validIfname('eth 0')).toBe(false);
  });
});
