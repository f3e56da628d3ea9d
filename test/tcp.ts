// Real TCP for firewall tests, with nothing but node: a listener process inside a
// namespace that answers every connection with the address it came from (so a test can
// see masquerading), and a connect attempt with a short timeout from another namespace.
// Listeners are killed by their PID in Listeners.closeAll() (call it in afterEach).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer as createNetServer } from 'node:net';

const SERVER = `
const net = require('node:net');
const ports = process.argv.slice(1).map(Number);
let left = ports.length;
for (const port of ports) {
  net.createServer((s) => s.end(s.remoteAddress.replace(/^::ffff:/, '') + '\\n'))
    .listen(port, '0.0.0.0', () => { if (--left === 0) console.log('ready'); });
}`;

const CLIENT = `
const net = require('node:net');
const [host, port, ms] = process.argv.slice(1);
let reply = '';
const s = net.connect({ host, port: Number(port) });
s.setTimeout(Number(ms), () => process.exit(2));
s.on('data', (d) => (reply += d));
s.on('end', () => { process.stdout.write(reply); process.exit(0); });
s.on('error', () => process.exit(1));`;

export class Listeners {
  private readonly procs: ChildProcess[] = [];

  /** Listens on `ports` (TCP, 0.0.0.0) inside namespace `ns`; resolves once all are bound. */
  async listen(ns: string, ports: number[]): Promise<void> {
    // nsenter execs node, so the PID we hold is the listener's own.
    const p = spawn('nsenter', [`--net=/run/netns/${ns}`, '--', process.execPath, '-e', SERVER, ...ports.map(String)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.procs.push(p);
    let err = '';
    p.stderr!.on('data', (d) => (err += d));
    const ready = new Promise<void>((resolve, reject) => {
      p.stdout!.on('data', (d) => String(d).includes('ready') && resolve());
      p.on('exit', (code) => reject(new Error(`listener in ${ns} on ${ports.join(',')} exited ${code}: ${err}`)));
    });
    await ready;
  }

  async closeAll(): Promise<void> {
    for (const p of this.procs.splice(0)) {
      if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) continue;
      const gone = once(p, 'exit');
      process.kill(p.pid, 'SIGKILL');
      await gone;
    }
  }
}

export interface Connect {
  ok: boolean;
  /** what the listener answered: the source address it saw */
  reply: string;
}

/** Connects from namespace `ns` to host:port; a dropped SYN shows as a timeout. */
export function connect(ns: string, host: string, port: number, timeoutMs = 1500): Connect {
  const r = spawnSync(
    'nsenter',
    [`--net=/run/netns/${ns}`, '--', process.execPath, '-e', CLIENT, host, String(port), String(timeoutMs)],
    { encoding: 'utf8', timeout: timeoutMs + 5000 },
  );
  return { ok: r.status === 0, reply: (r.stdout ?? '').trim() };
}

/** A loopback port nothing listens on right now (for a server a test starts). */
export async function freePort(): Promise<number> {
  const srv = createNetServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}
