// podman 4.3 (CNI backend) in front of CNI plugins, inside a node network namespace of
// the test's own (see test/podman.ts). First Debian's reference plugins, which prove the
// harness; then podnet's own plugins, installed with `podnet cni install`.
//
// Runs as root with podman, runc and busybox-static installed (scripts/install-podman.sh).
// Elsewhere the suite is skipped, except under CI, where it fails and says what is missing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type Podman, podmanUnavailableReason, withPodman } from '../test/podman.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const PODNET_BIN = join(REPO, 'bin', 'podnet');
const REFERENCE_PLUGINS = '/usr/lib/cni';
const BRIDGE = 'v-net-0';
const GATEWAY = '10.244.1.1';
const IN_SUBNET = /^10\.244\.1\.(\d{1,3})$/;
const IPV4_NAME = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

const unavailable = podmanUnavailableReason();
const TIMEOUT = 180_000;

/** Names of the links enslaved to the bridge in the node namespace. Throws if there is no bridge. */
async function bridgePorts(pm: Podman): Promise<string[]> {
  const r = await pm.node(['ip', '-j', 'link', 'show', 'master', BRIDGE]);
  if (r.code !== 0) throw new Error(`ip link show master ${BRIDGE}: ${r.stderr}`);
  const links = r.stdout.trim() ? (JSON.parse(r.stdout) as { ifname: string; linkinfo?: unknown }[]) : [];
  return links.map((l) => l.ifname);
}

/** Links of kind veth in the node namespace. */
async function nodeVeths(pm: Podman): Promise<string[]> {
  const r = await pm.node(['ip', '-j', '-d', 'link', 'show', 'type', 'veth']);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as { ifname: string }[]).map((l) => l.ifname) : [];
}

/** The bridge's IPv4 addresses in the node namespace. */
async function bridgeAddrs(pm: Podman): Promise<string[]> {
  const r = await pm.node(['ip', '-j', '-4', 'addr', 'show', 'dev', BRIDGE]);
  expect(r.code, r.stderr).toBe(0);
  const links = JSON.parse(r.stdout) as { addr_info: { local: string; prefixlen: number }[] }[];
  return links.flatMap((l) => l.addr_info.map((a) => `${a.local}/${a.prefixlen}`));
}

/**
 * Leases in a host-local style data dir: files named by an IPv4 address (holding
 * "<containerID>\r\n<ifname>"), and half-written temp leases. Path → content.
 */
function leaseFiles(dataDir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (IPV4_NAME.test(e.name) || e.name.startsWith('.tmp-')) found.set(p, fs.readFileSync(p, 'utf8'));
    }
  };
  if (fs.existsSync(dataDir)) walk(dataDir);
  return found;
}

/**
 * The scenario both plugin sets must pass: two containers get addresses from the subnet,
 * podman records them, the second pings the first, and `podman rm -f` leaves no veth on
 * the bridge and no lease behind.
 */
async function twoContainersTalk(pm: Podman, ipamDir: string, network: string): Promise<void> {
  const idA = await pm.run('pa');
  const idB = await pm.run('pb');
  expect(idA).toMatch(/^[0-9a-f]{64}$/);

  const ipA = await pm.ip('pa');
  const ipB = await pm.ip('pb');
  for (const ip of [ipA, ipB]) {
    expect(ip).toMatch(IN_SUBNET);
    const host = Number(IN_SUBNET.exec(ip)![1]);
    expect(host).toBeGreaterThan(1); // .0 is the network, .1 the gateway
    expect(host).toBeLessThan(255);
  }
  expect(ipA).not.toBe(ipB);

  // podman understood the plugin's result: it reports the address the container has
  for (const [name, ip] of [
    ['pa', ipA],
    ['pb', ipB],
  ] as const) {
    const r = await pm.podman(['inspect', name, '--format', '{{json .NetworkSettings.Networks}}']);
    expect(r.code, r.stderr).toBe(0);
    const nets = JSON.parse(r.stdout) as Record<string, { IPAddress: string; IPPrefixLen: number; Gateway: string }>;
    expect(nets[network]?.IPAddress).toBe(ip);
    expect(nets[network]?.IPPrefixLen).toBe(24);
  }

  // gateway on the bridge in the node namespace, default route through it in the container
  expect(await bridgeAddrs(pm)).toContain(`${GATEWAY}/24`);
  const route = await pm.exec('pb', ['ip', '-4', 'route', 'show', 'default']);
  expect(route.code, route.stderr).toBe(0);
  expect(route.stdout).toMatch(new RegExp(`^default via ${GATEWAY.replace(/\./g, '\\.')} dev eth0`, 'm'));

  // one host-side veth per container, both on the bridge
  const ports = await bridgePorts(pm);
  expect(ports).toHaveLength(2);
  const veths = await nodeVeths(pm);
  expect(veths.sort()).toEqual([...ports].sort());

  // one lease per container, owned by its container ID
  const leases = leaseFiles(ipamDir);
  const byIp = new Map([...leases].map(([p, c]) => [p.split('/').pop()!, c]));
  expect([...byIp.keys()].sort()).toEqual([ipA, ipB].sort());
  expect(byIp.get(ipA)?.split(/\r?\n/)[0]).toBe(idA);
  expect(byIp.get(ipB)?.split(/\r?\n/)[0]).toBe(idB);

  const ping = await pm.exec('pb', ['ping', '-c1', '-W2', ipA]);
  expect(ping.code, `${ping.stdout}${ping.stderr}`).toBe(0);
  expect(ping.stdout).toMatch(/1 packets received/);

  await pm.rm('pa');
  await pm.rm('pb');
  const ps = await pm.podman(['ps', '-a', '--format', '{{.Names}}']);
  expect(ps.code, ps.stderr).toBe(0);
  expect(ps.stdout.trim()).toBe('');
  expect(await bridgePorts(pm)).toEqual([]);
  expect(await nodeVeths(pm)).toEqual([]);
  expect([...leaseFiles(ipamDir).keys()]).toEqual([]);
}

describe.skipIf(unavailable !== null && !process.env.CI)('podman (CNI backend) in a node netns', () => {
  it('has podman, runc and busybox-static', () => {
    expect(unavailable, 'run scripts/install-podman.sh').toBeNull();
  });

  it(
    'runs two containers on the reference bridge + host-local plugins',
    async () => {
      const tmp = fs.mkdtempSync('/tmp/podnet-tref-');
      const ipamDir = join(tmp, 'ipam');
      const conflist = {
        cniVersion: '1.0.0',
        name: 'ref',
        plugins: [
          {
            type: 'bridge',
            bridge: BRIDGE,
            isGateway: true,
            isDefaultGateway: true,
            ipMasq: false,
            ipam: { type: 'host-local', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: ipamDir },
          },
        ],
      };
      try {
        await withPodman({ pluginDir: REFERENCE_PLUGINS, conflist }, async (pm) => {
          await twoContainersTalk(pm, ipamDir, 'ref');
          // the check above can fail: an address nobody has does not answer
          await pm.run('pc');
          const miss = await pm.exec('pc', ['ping', '-c1', '-W1', '10.244.1.254']);
          expect(miss.code).not.toBe(0);
        });
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );

  it.skipIf(!fs.existsSync(PODNET_BIN))(
    "runs two containers on podnet's plugins (podnet cni install)",
    async () => {
      const tmp = fs.mkdtempSync('/tmp/podnet-tcni-');
      const binDir = join(tmp, 'bin');
      const ipamDir = join(tmp, 'ipam');
      try {
        const install = spawnSync(PODNET_BIN, ['cni', 'install', '--bin-dir', binDir], {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(install.status, `${install.stdout}${install.stderr}${install.error ?? ''}`).toBe(0);
        for (const plugin of ['podnet', 'podnet-ipam']) {
          fs.accessSync(join(binDir, plugin), fs.constants.X_OK);
        }
        const conflist = {
          cniVersion: '1.0.0',
          name: 'podnet',
          plugins: [
            {
              type: 'podnet',
              bridge: BRIDGE,
              isGateway: true,
              isDefaultGateway: true,
              ipMasq: false,
              stateDir: join(tmp, 'state'),
              ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.1.0/24' }]], dataDir: ipamDir },
            },
          ],
        };
        await withPodman({ pluginDir: binDir, conflist }, (pm) => twoContainersTalk(pm, ipamDir, 'podnet'));
      } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    },
    TIMEOUT,
  );
});
