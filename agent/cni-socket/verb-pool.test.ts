// The verb pool's threads: all started with the pool, ended down to minThreads when idle,
// started again when verbs wait, and restarted when one dies. The threads run a stand-in
// for agent/cni-worker.ts (the same messages) whose verb answers after the ms its stdin
// says, or exits the thread on "die"; no timing is asserted, only what the pool ends up with.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ServedVerb } from '../cni-verb.js';
import { VerbPool, type Job } from './verb-pool.js';

const WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => {
  if (m.type === 'close') return parentPort.postMessage({ closed: true });
  if (m.stdin === 'die') process.exit(3);
  setTimeout(() => parentPort.postMessage({ status: 0, stdout: 'done ' + m.stdin, stderr: '' }), Number(m.stdin));
});
parentPort.postMessage({ ready: true });
`;

const pools: VerbPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

function pool(size: number, minThreads: number, idleMs: number): { pool: VerbPool; logs: string[] } {
  const logs: string[] = [];
  const p = new VerbPool(size, WORKER, null, (_level, msg) => logs.push(msg), { minThreads, idleMs });
  pools.push(p);
  return { pool: p, logs };
}

function verb(p: VerbPool, stdin: string): Promise<ServedVerb> {
  return new Promise((done) => {
    const job: Job = {
      env: { CNI_COMMAND: 'ADD' },
      stdin,
      verb: 'ADD',
      socket: { destroyed: false } as Socket,
      heartbeat: false,
      done,
    };
    p.run(job);
  });
}

describe('VerbPool threads', () => {
  it('starts every thread, ends those above minThreads once idle, starts them again for waiting verbs', async () => {
    const { pool: p } = pool(3, 1, 50);
    await p.start();
    await expect.poll(() => p.threads).toBe(1);
    expect(p.retired).toBe(2);

    // One verb: the thread kept takes it, none is started.
    expect((await verb(p, '0')).stdout).toBe('done 0');
    expect(p.grown).toBe(0);

    // Three at once: two wait, so two threads are started, and each verb is answered.
    const answers = await Promise.all([verb(p, '300'), verb(p, '300'), verb(p, '300')]);
    expect(answers.map((a) => a.status)).toEqual([0, 0, 0]);
    expect(p.grown).toBe(2);
    await expect.poll(() => p.threads).toBe(1);
    expect(p.retired).toBe(4);
    expect(p.restarts).toBe(0);
  });

  it('never grows past its size: more verbs than threads queue', async () => {
    const { pool: p } = pool(2, 1, 60_000);
    await p.start();
    expect(p.threads).toBe(2); // all started with the pool
    const answers = await Promise.all(Array.from({ length: 6 }, () => verb(p, '20')));
    expect(answers.every((a) => a.status === 0)).toBe(true);
    expect(p.threads).toBe(2);
    expect(p.grown).toBe(0);
  });

  it('counts a thread it can start in the predicted wait: one busy thread of two is no reason to refuse', async () => {
    const { pool: p } = pool(2, 1, 50);
    await p.start();
    await expect.poll(() => p.threads).toBe(1);
    const running = verb(p, '500');
    expect(p.busy).toBe(1);
    // The busy thread has a verb's time left; a second thread can be started: neither is past the limit.
    expect(p.predictedWaitMs()).toBeLessThan(p.busyAfterMs());
    await running;
  });

  it('restarts a thread that dies during a verb, below minThreads too, and answers that verb with an error', async () => {
    const { pool: p, logs } = pool(2, 2, 60_000);
    await p.start();
    const r = await verb(p, 'die');
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).msg).toMatch(/verb thread died/);
    expect(logs).toContain('CNI verb thread died during a verb');
    await expect.poll(() => p.threads).toBe(2);
    expect(p.restarts).toBe(1);
    expect((await verb(p, '0')).status).toBe(0);
  });

  it('stop() ends every thread, those being ended for idleness too', async () => {
    const { pool: p } = pool(3, 0, 1);
    await p.start();
    await p.stop();
    expect(p.threads).toBe(0);
  });
});
