// The agent reads a node's conflist as the plugin does: the plugin's defaults where a field
// is left out, and a conflist the plugin would refuse is refused here too, saying why.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conflist } from '../cni/install.js';
import { DEFAULT_BRIDGE, DEFAULT_DATA_DIR, DEFAULT_STATE_DIR } from '../lib/model/cni.js';
import { configFromConflist, ConfigError } from './config.js';

const dir = mkdtempSync(join(tmpdir(), 'podnet-agent-config-'));
let n = 0;
function file(body: unknown): string {
  const path = join(dir, `${n++}.conflist`);
  writeFileSync(path, typeof body === 'string' ? body : JSON.stringify(body));
  return path;
}
const bare = (plugin: Record<string, unknown>) => ({
  cniVersion: '1.0.0',
  name: 'tnet',
  plugins: [{ type: 'portmap' }, { type: 'podnet', ...plugin }],
});

describe('configFromConflist', () => {
  it('reads what `podnet cni install` writes', () => {
    const path = file(
      conflist({
        name: 'lab',
        subnet: '10.244.3.0/24',
        clusterNetwork: '10.244.0.0/16',
        bridge: 'br-pods',
        stateDir: '/run/x',
        dataDir: '/var/x',
      }),
    );
    expect(configFromConflist('node3', path)).toEqual({
      node: 'node3',
      network: 'lab',
      bridge: 'br-pods',
      podCIDR: '10.244.3.0/24',
      gateway: '10.244.3.1',
      stateDir: '/run/x',
      dataDir: '/var/x',
      uplink: 'eth0',
    });
  });

  it("takes the plugin's defaults for what the conflist leaves out", () => {
    const path = file(
      bare({ ipam: { type: 'podnet-ipam', ranges: [[{ subnet: '10.244.5.7/24', gateway: '10.244.5.254' }]] } }),
    );
    expect(configFromConflist('n', path)).toMatchObject({
      bridge: DEFAULT_BRIDGE,
      stateDir: DEFAULT_STATE_DIR,
      dataDir: DEFAULT_DATA_DIR,
      podCIDR: '10.244.5.0/24',
      gateway: '10.244.5.254',
    });
  });

  it("reads a delegated host-local's subnet, and keeps no lease dir for it", () => {
    const path = file(bare({ ipam: { type: 'host-local', subnet: '10.244.6.0/24' } }));
    expect(configFromConflist('n', path)).toMatchObject({
      podCIDR: '10.244.6.0/24',
      gateway: '10.244.6.1',
      dataDir: null,
    });
  });

  it('without a conflist, knows only the default bridge', () => {
    expect(configFromConflist('n', null)).toMatchObject({
      bridge: DEFAULT_BRIDGE,
      podCIDR: null,
      stateDir: null,
      dataDir: null,
    });
  });

  it.each([
    ['not JSON', '{"plugins": [', /conflist .*0?\.conflist is not one the podnet plugin accepts: it is not valid JSON/],
    [
      'no podnet plugin',
      { cniVersion: '1.0.0', name: 'tnet', plugins: [{ type: 'bridge' }] },
      /has no plugin of type "podnet"/,
    ],
    [
      'a bridge name the plugin refuses',
      bare({ bridge: 'a-bridge-name-too-long', ipam: { type: 'podnet-ipam', subnet: '10.244.1.0/24' } }),
      /bridge name "a-bridge-name-too-long" is not a valid interface name/,
    ],
    [
      'no cniVersion',
      { name: 'tnet', plugins: [{ type: 'podnet', ipam: { type: 'podnet-ipam', subnet: '10.244.1.0/24' } }] },
      /"cniVersion" must be a non-empty string/,
    ],
    [
      'a bad subnet',
      bare({ ipam: { type: 'podnet-ipam', subnet: '10.244.1.0/33' } }),
      /ipam subnet "10.244.1.0\/33" is not a CIDR/,
    ],
  ])('refuses a conflist with %s, naming the file and the fault', (_what, body, message) => {
    const path = file(body);
    expect(() => configFromConflist('n', path)).toThrow(ConfigError);
    expect(() => configFromConflist('n', path)).toThrow(message);
    expect(() => configFromConflist('n', path)).toThrow(path);
  });

  it('says which file it cannot read', () => {
    expect(() => configFromConflist('n', join(dir, 'missing'))).toThrow(/cannot read the conflist .*missing: ENOENT/);
  });
});
