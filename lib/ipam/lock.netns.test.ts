// The real podnet plugin (as `podnet cni install` writes it, run as a runtime runs it) on
// a network whose lease lock was left behind by a holder that died: the next ADD and DEL
// go through within seconds instead of failing with code 11 until someone deletes the file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { leases, nodeFixture, podnetConf, runPlugin } from '../../test/cni.js';
import { nsPath } from '../../test/netns.js';
import { Holders } from '../../test/lock-holders.js';

describe('a lease lock left by a dead holder', () => {
  const f = nodeFixture();
  let holders: Holders;
  beforeEach(async () => {
    holders = await Holders.create();
  });
  afterEach(() => holders.stopAll()); // by PID, also when a test failed

  const lockPath = () => join(f.dirs.ipam, 'tnet', 'podnet.lock');
  const run = (command: 'ADD' | 'DEL', pod: string, id: string) => {
    const t = Date.now();
    const r = runPlugin('podnet', podnetConf({ cniVersion: '1.0.0', state: f.dirs.state, dataDir: f.dirs.ipam }), {
      command,
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      args: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
      nodeNs: f.node,
    });
    return { ...r, ms: Date.now() - t };
  };
  const plant = {
    /** a plugin of an older podnet killed between creating the file and writing it */
    empty: async () => writeFileSync(lockPath(), ''),
    /** a plugin that exited without releasing */
    exited: async () => {
      const h = await holders.start(lockPath());
      await h.ask('hold');
      void h.ask('exit').catch(() => {});
      await h.exited;
    },
    /** a plugin killed on timeout */
    sigkilled: async () => {
      const h = await holders.start(lockPath());
      await h.ask('hold');
      await h.kill();
    },
    /** a verb thread of a live agent, terminated while it held the lock */
    'dead worker thread': async () => {
      const agent = await holders.start(lockPath());
      await agent.ask('thread');
    },
  };

  beforeEach(() => mkdirSync(join(f.dirs.ipam, 'tnet'), { recursive: true }));

  it.each(Object.keys(plant) as (keyof typeof plant)[])(
    '%s: the next ADD gets its lease, and the next DEL frees it',
    async (kind) => {
      await plant[kind]();
      const pod = f.ns.add('pod');
      const add = run('ADD', pod, 'web-1');
      expect(add.stderr).toBe('');
      expect(add.status).toBe(0);
      expect(add.ms).toBeLessThan(5_000);
      expect(add.json.ips[0].address).toBe('10.244.1.2/24');
      expect(leases(f.dirs.ipam, 'tnet')).toEqual(['10.244.1.2']);

      await plant[kind]();
      const del = run('DEL', pod, 'web-1');
      expect(del.status).toBe(0);
      expect(del.ms).toBeLessThan(5_000);
      expect(leases(f.dirs.ipam, 'tnet')).toEqual([]);
    },
  );
});
