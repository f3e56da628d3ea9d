import { describe, expect, it } from 'vitest';
import { parseCniArgs, readEnv } from './env.js';
import { CniError } from './errors.js';
import { checkVersion, resultForVersion } from './version.js';

describe('readEnv', () => {
  const base = {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'abc',
    CNI_NETNS: '/run/netns/x',
    CNI_IFNAME: 'eth0',
    CNI_PATH: '/opt/cni/bin:/usr/lib/cni',
  };
  it('reads a runtime environment', () => {
    const env = readEnv({ ...base, CNI_ARGS: 'IgnoreUnknown=1;K8S_POD_NAMESPACE=kube-system;K8S_POD_NAME=coredns-1' });
    expect(env.path).toEqual(['/opt/cni/bin', '/usr/lib/cni']);
    expect(env.args.get('K8S_POD_NAME')).toBe('coredns-1');
    expect(env.args.get('K8S_POD_NAMESPACE')).toBe('kube-system');
  });
  it('lets DEL go without CNI_NETNS (the namespace may be gone)', () => {
    const { CNI_NETNS: _n, ...rest } = base;
    expect(readEnv({ ...rest, CNI_COMMAND: 'DEL' }).netns).toBe('');
  });
  it.each([
    [{ CNI_COMMAND: 'ATTACH' }, /"ATTACH" is not a CNI verb/],
    [{ CNI_CONTAINERID: '../etc' }, /CNI_CONTAINERID "\.\.\/etc" has characters/],
    [{ CNI_IFNAME: 'eth/0' }, /not a valid interface name/],
    [{ CNI_ARGS: 'K8S_POD_NAME' }, /CNI_ARGS entry "K8S_POD_NAME" is not KEY=VALUE/],
  ])('refuses %j with code 4', (over, msg) => {
    let err: unknown;
    try {
      readEnv({ ...base, ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CniError);
    expect((err as CniError).code).toBe(4);
    expect((err as CniError).message).toMatch(msg);
  });
  it('keeps values with "=" in CNI_ARGS', () => {
    expect(parseCniArgs('A=b=c').get('A')).toBe('b=c');
  });
});

describe('versions', () => {
  it('answers results in the version asked for', () => {
    const r = { cniVersion: '1.1.0', ips: [{ interface: 2, address: '10.244.1.2/24', gateway: '10.244.1.1' }] };
    expect(resultForVersion(r, '0.3.1').ips![0]).toEqual({
      version: '4',
      interface: 2,
      address: '10.244.1.2/24',
      gateway: '10.244.1.1',
    });
    expect(resultForVersion(r, '1.0.0').ips![0]).not.toHaveProperty('version');
    expect(resultForVersion(r, '0.4.0').cniVersion).toBe('0.4.0');
  });
  it('refuses versions and verbs outside the spec', () => {
    expect(() => checkVersion('0.2.0', 'ADD')).toThrow(/not supported/);
    expect(() => checkVersion('1.0.0', 'STATUS')).toThrow(/STATUS needs cniVersion 1\.1\.0/);
    expect(checkVersion('1.1.0', 'GC')).toBe('1.1.0');
  });
});
