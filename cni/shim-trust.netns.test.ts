// Whom the shim trusts at agentSocket (cni/shim/podnet-shim.c untrusted_socket, SO_PEERCRED)
// and where the agent agrees to put its socket (agent/cni-socket/socket-path.ts). The attacker is a
// real unprivileged process: a tiny Node listener run as nobody (setpriv), which
// acknowledges like an agent and records every byte it is sent. The shim must send it
// nothing of the config and the ADD must still succeed, by the plugin.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, renameSync, statSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  attachmentFiles,
  leases,
  nodeFixture,
  podnetConf,
  runPlugin,
  servedBy,
  startAgent,
  type AgentProcess,
} from '../test/cni.js';
import { linkNames, nsPath } from '../test/netns.js';

const NOBODY = 65534;

/** A listener that acts as an agent would on the outside: acknowledges, and records. */
const LISTENER = `
const net = require('node:net'), fs = require('node:fs');
const [sock, record] = process.argv.slice(1);
fs.writeFileSync(record, '');
net.createServer((s) => {
  fs.appendFileSync(record, 'connection\\n');
  s.on('data', (d) => fs.appendFileSync(record, d));
  s.on('error', () => {});
  s.write('{"v":1,"ack":true,"heartbeat":true}\\n');
}).listen(sock, () => process.stdout.write('listening\\n'));
`;

interface Stranger {
  pid: number;
  record: string;
  received(): string;
}

describe('the shim talks only to root at a path only root can change', () => {
  const f = nodeFixture(); // its namespaces and dirs go last: after the hooks below
  const children: ChildProcess[] = [];
  const agents: AgentProcess[] = [];
  const servers: Server[] = [];

  beforeEach(() => {
    // nobody must reach its own directory below the test's root (mkdtemp makes it 0700).
    chmodSync(f.dirs.root, 0o711);
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL'); // by its PID: the listener we started
        await gone;
      }
    }
    for (const a of agents.splice(0)) await a.stop('SIGKILL');
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  /** The listener, as nobody, on `sock` (its directory must let nobody bind there). */
  const stranger = async (sock: string): Promise<Stranger> => {
    const record = join(dirname(sock), 'received');
    const child = spawn(
      'setpriv',
      [
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        '--clear-groups',
        '--',
        process.execPath,
        '-e',
        LISTENER,
        sock,
        record,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      },
    );
    children.push(child);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d) => String(d).includes('listening') && resolve());
      child.once('exit', (code) => reject(new Error(`the listener exited (${code}): ${err}`)));
    });
    expect(statSync(sock).uid).toBe(NOBODY);
    return { pid: child.pid!, record, received: () => readFileSync(record, 'utf8') };
  };

  /** A root listener in this process that records what it receives. */
  const rootListener = (sock: string): Promise<string[]> => {
    const got: string[] = [];
    const server = createServer((s) => {
      got.push('connection');
      s.on('data', (d) => got.push(String(d)));
      s.on('error', () => {});
      s.write('{"v":1,"ack":true,"heartbeat":true}\n');
    });
    servers.push(server);
    return new Promise((r) => server.listen(sock, () => r(got)));
  };

  const conf = (agentSocket: string) =>
    podnetConf({ cniVersion: '1.1.0', state: f.dirs.state, dataDir: f.dirs.ipam, agentSocket });
  const add = (agentSocket: string, id: string) => {
    const pod = f.ns.add(id);
    const r = runPlugin('podnet', conf(agentSocket), {
      command: 'ADD',
      containerID: id,
      netns: nsPath(pod),
      ifname: 'eth0',
      args: `K8S_POD_NAMESPACE=default;K8S_POD_NAME=${id}`,
      nodeNs: f.node,
    });
    return { ...r, pod };
  };
  /** The shim's own warning line on stderr (the plugin's lines follow it). */
  const shimWarning = (stderr: string) =>
    stderr
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, string>)
      .find((l) => l.msg?.startsWith('not using the podnet agent'));

  const expectPluginDidIt = (r: ReturnType<typeof add>, id: string) => {
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(f.dirs.state).get(`ADD ${id}`)).toBe('plugin');
    expect(linkNames(r.pod)).toContain('eth0');
  };

  it('a socket nobody bound in a directory nobody owns: the shim sends nothing, says why, and the plugin does the ADD', async () => {
    const evil = join(f.dirs.root, 'evil');
    mkdirSync(evil, { mode: 0o755 });
    chownSync(evil, NOBODY, NOBODY);
    const sock = join(evil, 'cni.sock');
    const s = await stranger(sock);

    const r = add(sock, 'c1');
    expectPluginDidIt(r, 'c1');
    expect(s.received()).toBe(''); // not even a connection: the directory is refused first
    expect(shimWarning(r.stderr)).toMatchObject({
      level: 'warn',
      agentSocket: sock,
      why: `directory ${evil} is owned by uid ${NOBODY}, not root`,
    });
  });

  it('nobody listening behind a root-owned path (moved there by root): refused by SO_PEERCRED before a byte is sent', async () => {
    const evil = join(f.dirs.root, 'evil');
    mkdirSync(evil, { mode: 0o755 });
    chownSync(evil, NOBODY, NOBODY);
    const s = await stranger(join(evil, 'cni.sock'));
    // Root moves the bound socket into a directory of its own and makes the file root's:
    // only the peer's credentials still tell who is behind it.
    const agentDir = join(f.dirs.root, 'agent');
    mkdirSync(agentDir, { mode: 0o700 });
    const sock = join(agentDir, 'cni.sock');
    renameSync(join(evil, 'cni.sock'), sock);
    chownSync(sock, 0, 0);

    const r = add(sock, 'c1');
    expectPluginDidIt(r, 'c1');
    // It connected (that is how the peer is known), and sent nothing.
    expect(s.received()).toBe('connection\n');
    expect(shimWarning(r.stderr)?.why).toMatch(
      new RegExp(`^the process listening at ${sock} \\(pid ${s.pid}\\) runs as uid ${NOBODY}, not root$`),
    );
  });

  it('a root listener in a world-writable directory, sticky or not, or below a group-writable one, or behind a symlink: refused, nothing sent', async () => {
    const cases: { dir: string; mode: number; why: RegExp }[] = [
      { dir: join(f.dirs.root, 'open'), mode: 0o777, why: /^directory .*\/open is writable by others \(mode 0777\)$/ },
      {
        dir: join(f.dirs.root, 'sticky'),
        mode: 0o1777,
        why: /^directory .*\/sticky is writable by others \(mode 1777\)$/,
      },
      {
        dir: join(f.dirs.root, 'group', 'agent'),
        mode: 0o755,
        why: /^directory .*\/group is writable by its group \(mode 0775\)$/,
      },
    ];
    mkdirSync(join(f.dirs.root, 'group'));
    chmodSync(join(f.dirs.root, 'group'), 0o775);
    for (const [i, c] of cases.entries()) {
      mkdirSync(c.dir, { recursive: true });
      chmodSync(c.dir, c.mode);
      const sock = join(c.dir, 'cni.sock');
      const got = await rootListener(sock);
      const r = add(sock, `c${i}`);
      expectPluginDidIt(r, `c${i}`);
      expect(got).toEqual([]);
      expect(shimWarning(r.stderr)?.why).toMatch(c.why);
      // and the agent will not serve there
      await expect(startAgent(f.node, join(c.dir, 'agent.sock'))).rejects.toThrow(
        /refusing to serve the CNI socket .*(writable by|owned by)/,
      );
    }

    // A symlink in the socket's place (to a socket root serves in a good directory): lstat sees a link.
    const good = join(f.dirs.root, 'good');
    mkdirSync(good, { mode: 0o700 });
    const got = await rootListener(join(good, 'real.sock'));
    symlinkSync(join(good, 'real.sock'), join(good, 'cni.sock'));
    const r = add(join(good, 'cni.sock'), 'c9');
    expectPluginDidIt(r, 'c9');
    expect(got).toEqual([]);
    expect(shimWarning(r.stderr)?.why).toBe(`${join(good, 'cni.sock')} is not a socket`);
    expect(leases(f.dirs.ipam, 'tnet')).toHaveLength(4);
    expect(attachmentFiles(f.dirs.state, 'tnet')).toHaveLength(4);
  });

  it('the agent makes its directory 0700, refuses one nobody owns, and is used through a symlinked directory root owns', async () => {
    const foreign = join(f.dirs.root, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, NOBODY, NOBODY);
    await expect(startAgent(f.node, join(foreign, 'cni.sock'))).rejects.toThrow(
      new RegExp(
        `refusing to serve the CNI socket at ${foreign}/cni.sock: directory ${foreign} is owned by uid ${NOBODY}, not root`,
      ),
    );

    const sock = join(f.dirs.root, 'run', 'podnet', 'cni.sock');
    agents.push(await startAgent(f.node, sock));
    expect(statSync(dirname(sock)).mode & 0o7777).toBe(0o700);
    expect(statSync(dirname(dirname(sock))).mode & 0o7777).toBe(0o755);
    // /var/run is /run on Debian: a path through a root-owned symlink is resolved, then checked.
    symlinkSync(join(f.dirs.root, 'run'), join(f.dirs.root, 'var-run'));
    const r = add(join(f.dirs.root, 'var-run', 'podnet', 'cni.sock'), 'c1');
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(servedBy(f.dirs.state).get('ADD c1')).toBe('agent');
    expect(r.stderr).toBe('');
    // No agent at all is no news: the plugin runs, and the shim says nothing.
    const none = add(join(f.dirs.root, 'run', 'podnet', 'absent.sock'), 'c2');
    expect(none.status, none.stdout + none.stderr).toBe(0);
    expect(shimWarning(none.stderr)).toBeUndefined();
    expect(spawnSync('ip', ['-n', f.node, 'link', 'show', 'v-net-0']).status).toBe(0);
  });
});
