// Bad input gets the spec's error JSON with the right code, and changes nothing: after
// each failed ADD the node has no new veth or bridge, and there is no lease or record.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { attachmentFiles, leases, podnetConf, runPlugin, tempDirs, type Invocation } from '../test/cni.js';
import { execIn, linkNames, Namespaces, nsPath } from '../test/netns.js';

describe('podnet errors', () => {
  let ns: Namespaces;
  let dirs: ReturnType<typeof tempDirs>;
  let node: string;
  let pod: string;

  beforeEach(() => {
    ns = new Namespaces();
    dirs = tempDirs();
    node = ns.add('node');
    pod = ns.add('pod');
  });
  afterEach(() => {
    ns.removeAll();
    dirs.remove();
  });

  const conf = (extra: Record<string, unknown> = {}) =>
    podnetConf({ cniVersion: '1.0.0', state: dirs.state, dataDir: dirs.ipam, ...extra });
  const addInv = (over: Partial<Invocation> = {}): Invocation => ({
    command: 'ADD',
    containerID: 'bad-1',
    netns: nsPath(pod),
    ifname: 'eth0',
    nodeNs: node,
    ...over,
  });

  function expectNothingLeft(nodeLinksBefore: string[] = ['lo']) {
    expect(linkNames(node).sort()).toEqual([...nodeLinksBefore].sort());
    expect(linkNames(pod)).toEqual(['lo']);
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(dirs.state, 'tnet')).toEqual([]);
  }

  function expectError(r: { status: number; json: any; stdout: string }, code: number, msg: RegExp) {
    expect(r.status, r.stdout).toBe(1);
    expect(r.json).toMatchObject({ code });
    expect(typeof r.json.cniVersion).toBe('string');
    expect(r.json.msg).toMatch(msg);
  }

  it('malformed JSON: code 6', () => {
    expectError(runPlugin('podnet', '{"cniVersion": "1.0.0", "name": ', addInv()), 6, /not valid JSON/);
    expectNothingLeft();
  });

  it.each([
    ['CNI_COMMAND', /CNI_COMMAND is not set/],
    ['CNI_CONTAINERID', /CNI_CONTAINERID is not set/],
    ['CNI_NETNS', /CNI_NETNS is not set/],
    ['CNI_IFNAME', /CNI_IFNAME is not set/],
    ['CNI_PATH', /CNI_PATH is not set/],
  ])('missing %s: code 4', (name, msg) => {
    expectError(runPlugin('podnet', conf(), addInv({ env: { [name]: null } })), 4, msg);
    expectNothingLeft();
  });

  it('an ifname the kernel would refuse: code 4', () => {
    expectError(
      runPlugin('podnet', conf(), addInv({ ifname: 'much-too-long-name0' })),
      4,
      /CNI_IFNAME "much-too-long-name0" is not a valid interface name/,
    );
    expectNothingLeft();
  });

  // Names the kernel refuses (dev_valid_name), and "%", which it would take as a pattern
  // (eth%d → eth0): each one a code 4 before anything exists.
  // ("#", quotes and "\\" are valid names: ifname.netns.test.ts attaches them.)
  it.each([
    ['eth0 peer', /is not a valid interface name/],
    ['eth0\nlink', /is not a valid interface name/],
    ['eth0\tx', /is not a valid interface name/],
    ['a/b', /is not a valid interface name/],
    ['eth0:1', /is not a valid interface name/],
    ['.', /is not a valid interface name/],
    ['..', /is not a valid interface name/],
    ['eth%d', /is not a valid interface name/],
    ['ä'.repeat(8), /is not a valid interface name \(1-15 bytes/],
  ])('a hostile ifname %j: code 4, nothing created anywhere', (ifname, msg) => {
    expectError(runPlugin('podnet', conf(), addInv({ ifname })), 4, msg);
    expectNothingLeft();
  });

  it.each([
    ['/run/netns/a\nlink del lo', /CNI_NETNS .* is not an absolute path without control characters/],
    ['relative/netns', /CNI_NETNS "relative\/netns" is not an absolute path/],
    ['/run/netns/x#y\nlink add', /is not an absolute path without control characters/],
    ["/run/netns/it's #gone", /CNI_NETNS \/run\/netns\/it's #gone does not exist/],
  ])('a hostile netns path %j: code 4, nothing created', (netns, msg) => {
    expectError(runPlugin('podnet', conf(), addInv({ netns })), 4, msg);
    expectNothingLeft();
  });

  it('unknown cniVersion: code 1, answered in that version', () => {
    const r = runPlugin('podnet', conf({ cniVersion: '9.9.9' }), addInv());
    expectError(r, 1, /cniVersion "9\.9\.9" is not supported/);
    expect(r.json.cniVersion).toBe('9.9.9');
    expectNothingLeft();
  });

  it('CHECK below 0.4.0 and GC below 1.1.0: code 1', () => {
    expectError(
      runPlugin('podnet', conf({ cniVersion: '0.3.1' }), addInv({ command: 'CHECK' })),
      1,
      /CHECK needs cniVersion 0\.4\.0/,
    );
    expectError(runPlugin('podnet', conf(), { command: 'GC', nodeNs: node }), 1, /GC needs cniVersion 1\.1\.0/);
  });

  it('a netns path that does not exist: code 4, and no lease taken', () => {
    expectError(
      runPlugin('podnet', conf(), addInv({ netns: '/run/netns/podnet-no-such-ns' })),
      4,
      /CNI_NETNS \/run\/netns\/podnet-no-such-ns does not exist/,
    );
    expectNothingLeft();
  });

  it('a subnet that does not parse: code 7 naming it', () => {
    expectError(
      runPlugin('podnet', conf({ subnet: '10.244.1.0/33' }), addInv()),
      7,
      /ipam subnet "10\.244\.1\.0\/33" is not a CIDR/,
    );
    expectNothingLeft();
  });

  it('an IPv6 range: code 101, not supported yet', () => {
    expectError(
      runPlugin('podnet', conf({ subnet: 'fd00:10:244::/64' }), addInv()),
      101,
      /IPv6 ranges are not supported yet/,
    );
    expectNothingLeft();
  });

  it('a reference bridge option podnet does not implement: code 2', () => {
    expectError(runPlugin('podnet', conf({ vlan: 100 }), addInv()), 2, /config field "vlan" is not supported/);
    expectNothingLeft();
  });

  it('a config without ipam: code 7', () => {
    const { ipam: _i, ...noIpam } = conf();
    expectError(runPlugin('podnet', noIpam, addInv()), 7, /config has no "ipam" section/);
  });

  it("a bridge that already holds another subnet's address: code 103, bridge untouched", () => {
    execIn(node, ['ip', 'link', 'add', 'v-net-0', 'type', 'bridge']);
    execIn(node, ['ip', 'addr', 'add', '10.244.9.1/24', 'dev', 'v-net-0']);
    const r = runPlugin('podnet', conf(), addInv());
    expectError(r, 103, /^bridge "v-net-0" has address 10\.244\.9\.1\/24, expected 10\.244\.1\.1\/24$/);
    expectNothingLeft(['lo', 'v-net-0']);
    expect(execIn(node, ['ip', '-br', 'addr', 'show', 'v-net-0']).out).toMatch(/10\.244\.9\.1\/24/);
  });

  it('a device named like the bridge that is not a bridge: code 103', () => {
    execIn(node, ['ip', 'link', 'add', 'v-net-0', 'type', 'veth', 'peer', 'name', 'other0']);
    expectError(runPlugin('podnet', conf(), addInv()), 103, /"v-net-0" exists but is a veth, not a bridge/);
    expectNothingLeft(['lo', 'v-net-0', 'other0']);
  });

  it('an exhausted range: code 102 naming the range; the pods that fit keep their leases', () => {
    const small = conf({ subnet: '10.244.1.0/30' }); // one pod: .1 is the gateway, .2 the pod
    expect(runPlugin('podnet', small, addInv({ containerID: 'fits' })).status).toBe(0);
    const other = ns.add('other');
    const r = runPlugin('podnet', small, addInv({ containerID: 'no-room', netns: nsPath(other) }));
    expectError(r, 102, /^no free address in range 10\.244\.1\.0\/30: every address is leased$/);
    expect(leases(dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);
    expect(attachmentFiles(dirs.state, 'tnet')).toEqual(['fits@eth0.json']);
    expect(linkNames(other)).toEqual(['lo']);
  });

  it('a failure after the lease (pod side refuses the interface name) rolls everything back', () => {
    // An interface named eth0 already in the pod: the veth peer cannot take the name.
    execIn(pod, ['ip', 'link', 'add', 'eth0', 'type', 'bridge']);
    const r = runPlugin('podnet', conf(), addInv());
    expect(r.status).toBe(1);
    expect(r.json.code).toBe(100);
    expect(linkNames(pod).sort()).toEqual(['eth0', 'lo']);
    expect(linkNames(node)).toEqual(['lo']); // the bridge this ADD made is gone too
    expect(leases(dirs.ipam, 'tnet')).toEqual([]);
    expect(attachmentFiles(dirs.state, 'tnet')).toEqual([]);
  });

  it("forwarding off and /proc/sys read-only (the agent's container): code 100 saying what to do, all rolled back", () => {
    // A fresh namespace forwards nothing; the plugin runs with /proc/sys read-only, as in a
    // container, so it cannot turn forwarding on.
    expect(execIn(node, ['sysctl', '-n', 'net.ipv4.ip_forward']).out.trim()).toBe('0');
    const readOnlySys = [
      'unshare',
      '-m',
      '--propagation',
      'private',
      'sh',
      '-c',
      'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$0"',
    ];
    const r = runPlugin('podnet', conf(), addInv({ wrap: readOnlySys }));
    expectError(r, 100, /IP forwarding is off on this node .*EROFS.*sysctl -w net.ipv4.ip_forward=1/);
    expectNothingLeft();
    expect(execIn(node, ['sysctl', '-n', 'net.ipv4.ip_forward']).out.trim()).toBe('0');
  });

  it('errors go to stdout as JSON and to the log file; stderr carries the log line only', () => {
    const r = runPlugin('podnet', conf({ vlan: 7 }), addInv());
    expect(() => JSON.parse(r.stdout)).not.toThrow();
    expect(JSON.parse(r.stderr.trim().split('\n').pop()!)).toMatchObject({ level: 'error', code: 2 });
  });
});
