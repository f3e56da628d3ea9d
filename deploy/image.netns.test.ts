// The podnet image: scripts/image builds it (the recipe users run, here importing into the
// podman harness's private store, never the machine's), and then it runs under podman with
// runc, in a node network namespace of the test's own (test/podman.ts):
//   - the CLI runs from the bundle, with no dev tools in the image;
//   - the agent starts in it, host-network style (podman's "host" is the harness's node
//     namespace), and answers /healthz and /v1/snapshot over its unix socket with a token;
//   - the dashboard serves its page as uid 10001 on a read-only root;
//   - `podnet cni install` from the image writes plugins that run on the host.
// Then deploy/Dockerfile builds the same image from `scripts/image --rootfs-only`.
//
// The first run waits for debootstrap (a few minutes; its base is cached in
// /var/cache/podnet-image, or $PODNET_IMAGE_CACHE). It needs root, podman, runc and a
// build (npm run build). Elsewhere the suite is skipped, except under CI, where it fails
// and says what is missing. The root network namespace sees no traffic from these tests
// but debootstrap's download on a cold cache.
import { randomBytes, createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeSnapshot } from '../lib/model/snapshot.js';
import { call } from '../test/agent-client.js';
import { type CmdResult, explain, type Podman, podmanUnavailableReason, runCmd, withPodman } from '../test/podman.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const IMAGE = `localhost/podnet:${VERSION}`;
const BASE_IMAGE = 'localhost/podnet-image-base:test';
const SUBNET = '10.244.1.0/24';

function unavailable(): string | null {
  const podman = podmanUnavailableReason();
  if (podman) return podman;
  for (const f of ['.build/cli/main.js', '.next/BUILD_ID']) {
    if (!existsSync(join(REPO, f))) return `${f} is missing: run npm run build`;
  }
  return null;
}
const reason = unavailable();

/** scripts/image to its end; at the timeout SIGTERM, so its trap removes its temp dir. */
const runScript = (args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<CmdResult> =>
  runCmd(join(REPO, 'scripts', 'image'), args, { env, timeoutMs, cwd: REPO, killSignal: 'SIGTERM' });

/** Runs a script with node inside the harness's node namespace: HTTP to its loopback. */
async function inNode(pm: Podman, script: string): Promise<string> {
  const r = await pm.node([process.execPath, '-e', script], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(explain('node in the node namespace', r));
  return r.stdout;
}

async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | null>): Promise<T> {
  const until = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > until) throw new Error(`${what} not within ${ms / 1000} s${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe.skipIf(reason !== null && !process.env.CI)('the podnet image (scripts/image, podman)', () => {
  let pm: Podman;
  let finish: () => void = () => {};
  let harness: Promise<void> = Promise.resolve();
  let work = '';
  let cgroupParent = '';
  let built: { image: string; base: string; seconds: number } | null = null;
  // Whether the built podnet in the image has `cni install --node-runtime` (a Node beside
  // the plugins, for hosts without one); without it the plugins run the image's node by path.
  let nodeRuntime = false;

  /** podman that must succeed; its stdout */
  const podman = async (args: string[], timeoutMs = 180_000): Promise<string> => {
    const r = await pm.podman(args, { timeoutMs });
    if (r.code !== 0) throw new Error(explain(`podman ${args.join(' ')}`, r));
    return r.stdout;
  };
  /** A container of the image (named, detached). Each costs a copy of the whole image in
   *  the harness's vfs store (~15 s here), so the suite makes few and execs into them. */
  const start = (name: string, args: string[], extra: string[] = []) =>
    podman(['run', '-d', '--name', name, '--pull', 'never', '--cgroup-parent', cgroupParent, ...extra, IMAGE, ...args]);
  /** `podman exec` in the tools container, which must succeed; its stdout */
  const tools = async (cmd: string[]): Promise<string> => {
    const r = await pm.exec('tools', cmd, { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(explain(cmd.join(' '), r));
    return r.stdout;
  };
  /** CNI VERSION from each installed plugin, in a container with the bin dir at `dir` */
  const versionScript = (dir: string) =>
    `for p in podnet podnet-ipam; do echo '{"cniVersion":"1.0.0"}' | env -i CNI_COMMAND=VERSION ${dir}/$p || exit 1; echo; done`;
  const versionAnswers = (out: string) =>
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { cniVersion: string; supportedVersions: string[] });

  beforeAll(async () => {
    if (reason) throw new Error(`the image suite cannot run here: ${reason}`);
    work = mkdtempSync('/tmp/podnet-image-test-');
    for (const d of ['bin', 'net.d', 'secret', 'api', 'dashboard', 'ctx']) mkdirSync(join(work, d));
    // The harness holds its podman (and all its state) for the whole suite: withPodman's
    // callback waits here until afterAll, and tears everything down when it returns.
    const ready = new Promise<Podman>((resolve, reject) => {
      harness = withPodman(
        { pluginDir: '/usr/lib/cni', conflist: { cniVersion: '1.0.0', name: 'podnet-image-unused', plugins: [] } },
        (p) => {
          resolve(p);
          return new Promise<void>((r) => (finish = r));
        },
      ).catch((e: unknown) => {
        reject(e as Error);
        throw e;
      });
    });
    pm = await ready;
    cgroupParent = `/${basename(pm.dir)}`;
    // The recipe users run, with the harness's podman: the import lands in its private store.
    const { argv, env } = pm.commandLine();
    const r = await runScript(['--json'], { ...env, PODMAN: argv.join(' ') }, 600_000);
    if (r.code !== 0) throw new Error(explain('scripts/image', r));
    built = JSON.parse(r.stdout) as typeof built;
    // A host with no Node: the image's own Debian base, before Node and podnet go on it.
    await podman(['import', '--quiet', built!.base, BASE_IMAGE]);
    // One container for the commands that need no network and no long run: the install
    // step's host directories mounted as the DaemonSet mounts them.
    await start(
      'tools',
      ['infinity'],
      [
        '--network',
        'none',
        '--entrypoint',
        'sleep',
        '-v',
        `${join(work, 'bin')}:/host/opt/cni/bin`,
        '-v',
        `${join(work, 'net.d')}:/host/etc/cni/net.d`,
      ],
    );
    nodeRuntime = (await tools(['podnet', 'cni', 'install', '--help'])).includes('--node-runtime');
  }, 900_000);

  afterAll(async () => {
    finish();
    await harness.catch(() => {}); // a failed setup already failed beforeAll
    if (work) rmSync(work, { recursive: true, force: true });
  }, 120_000);

  it('is built by scripts/image and imported with the settings of deploy/Dockerfile', async () => {
    expect(built!.image).toBe(IMAGE);
    const [config] = JSON.parse(await podman(['image', 'inspect', IMAGE])) as {
      Config: { Entrypoint: string[]; Cmd: string[]; User: string; WorkingDir: string; Env: string[] };
    }[];
    expect(config!.Config.Entrypoint).toEqual(['/usr/local/bin/podnet']);
    expect(config!.Config.Cmd).toEqual(['--help']);
    expect(config!.Config.User).toBe('0');
    expect(config!.Config.WorkingDir).toBe('/opt/podnet');
    expect(config!.Config.Env).toContain('NODE_ENV=production');
  }, 180_000);

  it('runs podnet --help and podnet agent --help from the bundle, with no dev tools in it', async () => {
    // The entrypoint and its default command, as `podman run IMAGE` starts them.
    const help = await pm.podman(['run', '--rm', '--network', 'none', '--pull', 'never', IMAGE], {
      timeoutMs: 180_000,
    });
    expect(help.code, explain('podman run IMAGE', help)).toBe(0);
    expect(help.stdout).toMatch(/^usage: podnet COMMAND/);
    expect(await tools(['podnet', 'agent', '--help'])).toMatch(/^usage: podnet agent --node NAME/);
    // What the image holds: Node 20+, the bundle bin/podnet picks (no sources to be newer
    // than it), the dashboard's user, the tools the agent drives, and no dev tools.
    const look = await tools([
      'sh',
      '-c',
      'node --version; ls /opt/podnet; ls /opt/podnet/node_modules; id podnet; readlink /usr/local/bin/podnet; ' +
        'for c in ip nft iptables nsenter ping traceroute openssl; do command -v $c || echo "no $c"; done',
    ]);
    const lines = look.split('\n');
    expect(Number(/^v(\d+)\./.exec(lines[0]!)?.[1])).toBeGreaterThanOrEqual(20);
    for (const dev of ['tsx', 'esbuild', 'vitest', 'eslint', 'prettier', 'typescript', '@playwright'])
      expect(lines).not.toContain(dev);
    for (const shipped of ['next', 'react', 'zod', '@kubernetes']) expect(lines).toContain(shipped);
    for (const notShipped of ['cli', 'lib', 'agent', 'cni', 'app', 'server']) expect(lines).not.toContain(notShipped);
    expect(look).toMatch(/uid=10001\(podnet\) gid=10001\(podnet\)/);
    expect(look).toContain('../../../opt/podnet/bin/podnet');
    expect(look.match(/^\/\S+$/gm)).toHaveLength(7);
  }, 180_000);

  it('installs the CNI plugins with podnet cni install, and they answer VERSION', async () => {
    const out = await tools([
      'podnet',
      'cni',
      'install',
      '--bin-dir',
      '/host/opt/cni/bin',
      '--conf-dir',
      '/host/etc/cni/net.d',
      '--subnet',
      SUBNET,
      '--cluster-network',
      '10.244.0.0/16',
      ...(nodeRuntime ? ['--node-runtime'] : []),
    ]);
    expect(out).toContain('/host/opt/cni/bin/podnet');
    const installed = readdirSync(join(work, 'bin'));
    for (const p of ['podnet', 'podnet-ipam']) expect(installed).toContain(p);
    const conflist = JSON.parse(readFileSync(join(work, 'net.d', '10-podnet.conflist'), 'utf8')) as {
      plugins: { type: string }[];
    };
    expect(conflist.plugins[0]!.type).toBe('podnet');
    expect(JSON.stringify(conflist)).toContain(SUBNET);
    // VERSION from the installed files in the image itself (Node at the path the
    // launcher names, if it names one); a root without Node is the next test.
    const answers = versionAnswers(await tools(['sh', '-c', versionScript('/host/opt/cni/bin')]));
    expect(answers).toHaveLength(2);
    for (const a of answers) expect(a.supportedVersions).toContain('1.0.0');
  }, 180_000);

  it('installs plugins that answer VERSION on a root without Node (--node-runtime)', async (ctx) => {
    if (!nodeRuntime) ctx.skip(); // the build in the image predates `cni install --node-runtime`
    const r = await pm.podman(
      [
        'run',
        '--rm',
        '--network',
        'none',
        '--pull',
        'never',
        '-v',
        `${join(work, 'bin')}:/opt/cni/bin:ro`,
        BASE_IMAGE,
        'sh',
        '-c',
        `! command -v node || { echo "the base has a node" >&2; exit 1; }; ${versionScript('/opt/cni/bin')}`,
      ],
      { timeoutMs: 120_000 },
    );
    expect(r.code, explain('VERSION on a root without Node', r)).toBe(0);
    const answers = versionAnswers(r.stdout);
    expect(answers).toHaveLength(2);
    for (const a of answers) expect(a.supportedVersions).toContain('1.0.0');
  }, 180_000);

  it('runs the agent in the node namespace; it answers /healthz and /v1/snapshot on its unix socket', async () => {
    if (!existsSync(join(work, 'net.d', '10-podnet.conflist'))) throw new Error("needs the install test's conflist");
    // A bridge in the node namespace only: the snapshot must show it, so the agent reads
    // the namespace it was started in, not one of its own.
    const br = await pm.node(['ip', 'link', 'add', 'podnet-img-br', 'type', 'bridge']);
    expect(br.code, br.stderr).toBe(0);
    const token = randomBytes(24).toString('base64url');
    // The Secret form the manifests give agents: the token's verifier, not the token.
    writeFileSync(join(work, 'secret', 'token'), `sha256:${createHash('sha256').update(token).digest('hex')}\n`);
    chmodSync(join(work, 'secret', 'token'), 0o600);
    const socket = join(work, 'api', 'agent.sock');
    try {
      // podman's "host" network is the namespace podman runs in: the harness's node netns.
      await start(
        'agent',
        [
          'agent',
          '--node',
          'node1',
          '--listen',
          'unix:/run/podnet-api/agent.sock',
          '--token-file',
          '/etc/podnet/token',
          '--no-reconcile',
        ],
        [
          '--network',
          'host',
          '--cap-drop',
          'all',
          '--cap-add', // deploy/node-daemonset.yaml's three
          'NET_ADMIN,NET_RAW,SYS_ADMIN',
          '-v',
          `${join(work, 'net.d')}:/etc/cni/net.d:ro`,
          '-v',
          `${join(work, 'secret')}:/etc/podnet:ro`,
          '-v',
          `${join(work, 'api')}:/run/podnet-api`,
        ],
      );
      const health = await waitFor('the agent answering /healthz', 30_000, async () => {
        if (!existsSync(socket)) return null;
        const r = await call(socket, null, 'GET', '/healthz');
        return r.status === 200 ? r : null;
      });
      expect(health.status).toBe(200);
      expect((await call(socket, null, 'GET', '/v1/snapshot')).status).toBe(401);
      const reply = await waitFor('a first snapshot', 30_000, async () => {
        const r = await call(socket, token, 'GET', '/v1/snapshot');
        return r.status === 503 ? null : r;
      });
      expect(reply.status, reply.text).toBe(200);
      const snap = (reply.body as { snapshot: NodeSnapshot }).snapshot;
      expect(snap.node.name).toBe('node1');
      expect(snap.node.podCIDR).toBe(SUBNET);
      expect(snap.links.map((l) => l.name)).toEqual(expect.arrayContaining(['lo', 'podnet-img-br']));
    } catch (e) {
      const logs = await pm.podman(['logs', 'agent']);
      throw new Error(`${(e as Error).message}\nagent log:\n${logs.stdout}${logs.stderr}`);
    } finally {
      await pm.podman(['rm', '-f', '-t', '5', 'agent']);
      await pm.node(['ip', 'link', 'del', 'podnet-img-br']);
    }
  }, 180_000);

  it('serves the dashboard page as uid 10001 on a read-only root', async () => {
    const key = randomBytes(24).toString('base64url');
    writeFileSync(join(work, 'dashboard', 'key'), `${key}\n`);
    // The Secret's file as the pod sees it: readable by the dashboard's user.
    chmodSync(join(work, 'dashboard'), 0o755);
    chmodSync(join(work, 'dashboard', 'key'), 0o644);
    const get = (path: string, auth: boolean) =>
      inNode(
        pm,
        `fetch('http://127.0.0.1:3080${path}', { headers: ${auth ? `{ authorization: 'Bearer ${key}' }` : '{}'}, redirect: 'manual' })
           .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.text() })))
           .catch((e) => console.log(JSON.stringify({ status: 0, body: String(e) })))`,
      ).then((out) => JSON.parse(out) as { status: number; body: string });
    try {
      await start(
        'dashboard',
        [
          'dashboard',
          '--source',
          'synthetic',
          '--token-file',
          '/etc/podnet-dashboard/key',
          '--host',
          '127.0.0.1',
          '--port',
          '3080',
        ],
        [
          '--network',
          'host',
          '--user',
          '10001:10001',
          '--read-only',
          // Next's cache, an emptyDir in deploy/dashboard.yaml (podman 4.3's tmpfs takes no
          // uid= option: a mode instead).
          '--tmpfs',
          '/opt/podnet/.next/cache:rw,mode=1777',
          '--cap-drop',
          'all',
          '-v',
          `${join(work, 'dashboard')}:/etc/podnet-dashboard:ro`,
        ],
      );
      await waitFor('the dashboard answering /healthz', 60_000, async () => {
        const r = await get('/healthz', false);
        return r.status === 200 ? r : null;
      });
      const page = await get('/', true);
      expect(page.status, page.body.slice(0, 500)).toBe(200);
      expect(page.body).toMatch(/^<!DOCTYPE html>/i);
      expect(page.body).toContain('/_next/static/');
      expect((await get('/', false)).status).not.toBe(200);
      // Who serves it, and that it could not write its own code.
      const ps = await podman(['exec', 'dashboard', 'sh', '-c', 'ps -eo uid=,args= ; touch /opt/podnet/x 2>&1; true']);
      const procs = ps.split('\n').filter((l) => /node|next/.test(l));
      expect(procs.length, ps).toBeGreaterThanOrEqual(2); // the CLI and next start
      for (const p of procs) expect(p.trim()).toMatch(/^10001 /);
      expect(ps).toMatch(/Read-only file system/);
    } catch (e) {
      const logs = await pm.podman(['logs', 'dashboard']);
      throw new Error(`${(e as Error).message}\ndashboard log:\n${logs.stdout}${logs.stderr}`);
    } finally {
      await pm.podman(['rm', '-f', '-t', '5', 'dashboard']);
    }
  }, 180_000);

  it('builds the same image from deploy/Dockerfile and scripts/image --rootfs-only', async () => {
    const ctx = join(work, 'ctx');
    const r = await runScript(['--rootfs-only', join(ctx, 'podnet-rootfs.tar')], process.env, 300_000);
    expect(r.code, explain('scripts/image --rootfs-only', r)).toBe(0);
    const dockerfile = join(REPO, 'deploy', 'Dockerfile');
    await podman(['build', '--pull=never', '-f', dockerfile, '-t', 'localhost/podnet:dockerfile', ctx], 400_000);
    rmSync(join(ctx, 'podnet-rootfs.tar'));
    const inspect = async (name: string) =>
      (JSON.parse(await podman(['image', 'inspect', name])) as { Config: Record<string, unknown>; Size: number }[])[0]!;
    const [fromImport, fromDockerfile] = [await inspect(IMAGE), await inspect('localhost/podnet:dockerfile')];
    for (const k of ['Entrypoint', 'Cmd', 'User', 'WorkingDir', 'Env'])
      expect(fromDockerfile.Config[k], k).toEqual(fromImport.Config[k]);
    // The same tree: about the same size (the two stores count a few things differently),
    // and it runs.
    expect(Math.abs(fromDockerfile.Size - fromImport.Size) / fromImport.Size).toBeLessThan(0.1);
    const help = await pm.podman(
      ['run', '--rm', '--network', 'none', 'localhost/podnet:dockerfile', 'agent', '--help'],
      {
        timeoutMs: 180_000,
      },
    );
    expect(help.code, explain("podnet agent --help in the Dockerfile's image", help)).toBe(0);
    expect(help.stdout).toMatch(/^usage: podnet agent --node NAME/);
  }, 600_000);
});
