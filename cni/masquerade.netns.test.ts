// ipMasq with clusterNetwork, shown with real traffic: the "outside" host has no route
// back to the pod subnet, so a reply reaches the pod only if the pod was masqueraded.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { podnetConf, runPlugin, tempDirs } from '../test/cni.js';
import { execIn, Namespaces, nsPath } from '../test/netns.js';
import { masqTableName } from './podnet/masq.js';

describe('ipMasq', () => {
  let ns: Namespaces;
  let dirs: ReturnType<typeof tempDirs>;
  let node: string;
  let outside: string;
  let pod: string;

  beforeEach(() => {
    ns = new Namespaces();
    dirs = tempDirs();
    node = ns.add('node');
    outside = ns.add('out');
    pod = ns.add('pod');
    // node eth0 192.168.1.11 <-> outside 192.168.1.100, which also holds 10.244.2.5 as a
    // stand-in for a pod on another node (inside the cluster network).
    execIn(node, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'out0', 'netns', nsPath(outside)]);
    execIn(node, ['ip', 'addr', 'add', '192.168.1.11/24', 'dev', 'eth0']);
    execIn(node, ['ip', 'link', 'set', 'eth0', 'up']);
    execIn(node, ['ip', 'route', 'add', '10.244.2.0/24', 'via', '192.168.1.100']);
    execIn(outside, ['ip', 'addr', 'add', '192.168.1.100/24', 'dev', 'out0']);
    execIn(outside, ['ip', 'addr', 'add', '10.244.2.5/24', 'dev', 'out0']);
    execIn(outside, ['ip', 'link', 'set', 'out0', 'up']);
  });
  afterEach(() => {
    ns.removeAll();
    dirs.remove();
  });

  const add = (extra: Record<string, unknown>) =>
    runPlugin(
      'podnet',
      podnetConf({ cniVersion: '1.0.0', state: dirs.state, dataDir: dirs.ipam, ipMasq: true, ...extra }),
      {
        command: 'ADD',
        containerID: 'masq',
        netns: nsPath(pod),
        ifname: 'eth0',
        nodeNs: node,
      },
    );
  const ping = (dst: string) => execIn(pod, ['ping', '-c1', '-W2', dst]).status;

  it('with clusterNetwork: traffic leaving the cluster is masqueraded, traffic inside it is not', () => {
    const r = add({ clusterNetwork: '10.244.0.0/16' });
    expect(r.status, r.stdout).toBe(0);
    expect(ping('192.168.1.100')).toBe(0); // only a masqueraded packet gets its reply
    expect(ping('10.244.2.5')).not.toBe(0); // not masqueraded: the reply has no way back...
    execIn(outside, ['ip', 'route', 'add', '10.244.1.0/24', 'via', '192.168.1.11']);
    expect(ping('10.244.2.5')).toBe(0); // ...until the other side routes the pod subnet
    const rules = execIn(node, ['nft', 'list', 'table', 'ip', masqTableName('tnet')]).out;
    expect(rules).toContain('ip saddr 10.244.1.0/24 ip daddr != 10.244.0.0/16 ip daddr != 224.0.0.0/4 masquerade');
  });

  it('without clusterNetwork it behaves as the reference bridge: all but the pod subnet is masqueraded', () => {
    expect(add({}).status).toBe(0);
    expect(ping('10.244.2.5')).toBe(0);
  });

  it('repeated ADDs keep one rule, and GC with no attachments left removes the table', () => {
    expect(add({ clusterNetwork: '10.244.0.0/16' }).status).toBe(0);
    const pod2 = ns.add('pod2');
    const second = runPlugin(
      'podnet',
      podnetConf({
        cniVersion: '1.1.0',
        state: dirs.state,
        dataDir: dirs.ipam,
        ipMasq: true,
        clusterNetwork: '10.244.0.0/16',
      }),
      {
        command: 'ADD',
        containerID: 'masq2',
        netns: nsPath(pod2),
        ifname: 'eth0',
        nodeNs: node,
      },
    );
    expect(second.status).toBe(0);
    const rules = execIn(node, ['nft', 'list', 'table', 'ip', masqTableName('tnet')]).out;
    expect(rules.match(/masquerade/g)).toHaveLength(1);
    const gc = runPlugin(
      'podnet',
      {
        ...podnetConf({ cniVersion: '1.1.0', state: dirs.state, dataDir: dirs.ipam, ipMasq: true }),
        'cni.dev/valid-attachments': [],
      },
      { command: 'GC', nodeNs: node },
    );
    expect(gc.status, gc.stdout).toBe(0);
    expect(execIn(node, ['nft', 'list', 'tables']).out).not.toContain(masqTableName('tnet'));
  });
});
