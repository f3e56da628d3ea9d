// The agent's own requests (HttpKubeClient) against the tests' API server, side by side with
// @kubernetes/client-node's (KubeWatch) on the same server: the same view, the same calls
// (list, watch from the list's version, re-list after 410, watch again after an end or a
// drop), and the same sentences when something is wrong.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { fixtureEvents, fixtureJson, KubeApiServer, writeKubeconfig, type KubeList } from '../../test/kube-api-server';
import { makePki } from '../../test/pki';
import { loadKubeConfig } from './config';
import { loadKubeEndpoint } from './endpoint';
import { HttpKubeClient, type KubeEndpoint } from './http-client';
import { KubeReflectors } from './reflector';
import { KubeWatch } from './watch';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: () => string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function startServer(): Promise<KubeApiServer> {
  const server = await KubeApiServer.start({ expireOldWatches: true });
  cleanups.push(() => server.close());
  return server;
}

/** Both clients following `resources` with the kubeconfig `opts` writes for `server`. */
function both(
  server: KubeApiServer,
  opts: Parameters<typeof writeKubeconfig>[1] = {},
  resources: ('nodes' | 'pods')[] = ['nodes'],
  edit: (e: KubeEndpoint) => KubeEndpoint = (e) => e,
) {
  const kubeconfig = writeKubeconfig(server, opts);
  cleanups.push(() => kubeconfig.remove());
  const endpoint = loadKubeEndpoint(kubeconfig.path);
  expect(endpoint, 'the test kubeconfig is one the agent reads itself').not.toBeNull();
  const own = new KubeReflectors(
    () => new HttpKubeClient(edit(endpoint!)),
    () => {},
    resources,
  );
  const theirs = new KubeWatch(loadKubeConfig(kubeconfig.path), () => {}, resources);
  cleanups.push(
    () => own.close(),
    () => theirs.close(),
  );
  return { own, theirs, all: [own, theirs] };
}

const names = (w: KubeReflectors) => [...w.nodes().keys()].sort();
const node3 = () => fixtureJson<KubeList>('nodelist.reference.json').items.find((n) => n.metadata.name === 'node3');

describe('HttpKubeClient', () => {
  it('lists, watches, re-lists after a 410 and watches again after an end or a drop, as client-node does', async () => {
    const server = await startServer();
    server.failNextWatch('nodes', fixtureEvents('watch-error-410-expired.as-captured.jsonl').slice(0, 1));
    const { own, theirs, all } = both(server);
    await own.start();
    await until(
      () => `the 410 watch was answered (lists: ${server.count('list', 'nodes')})`,
      () => server.count('list', 'nodes') >= 2 && server.openWatches('nodes') === 1,
    );
    await theirs.start();
    await until(
      () => `both watch (open: ${server.openWatches('nodes')})`,
      () => server.openWatches('nodes') === 2,
    );
    expect(names(own)).toEqual(['node1', 'node2', 'node3']);
    expect(names(own)).toEqual(names(theirs));
    expect(own.resourceVersion('nodes')).toBe(theirs.resourceVersion('nodes'));

    const watches = server.count('watch', 'nodes');
    server.endWatches('nodes');
    await until(
      () => 'both watch again after the server ended their watches',
      () => server.count('watch', 'nodes') >= watches + 2 && server.openWatches('nodes') === 2,
    );
    const lists = server.count('list', 'nodes');
    server.dropWatches('nodes');
    await until(
      () => `both list again after a dropped watch (lists: ${server.count('list', 'nodes')})`,
      () => server.count('list', 'nodes') >= lists + 2 && server.openWatches('nodes') === 2,
    );

    const n = node3();
    server.emit('nodes', { type: 'DELETED', object: { ...n, metadata: { ...n.metadata, resourceVersion: '2200' } } });
    await until(
      () => `both forget node3 (${names(own)} / ${names(theirs)})`,
      () => all.every((w) => names(w).join() === 'node1,node2'),
    );
    expect(own.changedSince('nodes', own.version('nodes') - 1)).toEqual(['node3']);

    // the requests each made, as the API server saw them: lists and watches of the nodes
    expect(server.requests.filter((r) => r.method !== 'GET' || r.path !== '/api/v1/nodes')).toEqual([]);
    expect(new Set(server.requests.map((r) => /^\?watch=true/.test(r.query)))).toEqual(new Set([true, false]));
    expect(all.every((w) => w.problems().length === 0)).toBe(true);

    await own.close();
    await until(
      () => `the closed client's watch is gone (open: ${server.openWatches('nodes')})`,
      () => server.openWatches('nodes') === 1,
    );
  });

  it('follows pods and a field selector the same way', async () => {
    const server = await startServer();
    const kubeconfig = writeKubeconfig(server);
    cleanups.push(() => kubeconfig.remove());
    const own = new KubeReflectors(
      () => new HttpKubeClient(loadKubeEndpoint(kubeconfig.path)!),
      () => {},
      ['nodes', 'pods'],
      {
        nodeFieldSelector: 'metadata.name=node2',
      },
    );
    const theirs = new KubeWatch(loadKubeConfig(kubeconfig.path), () => {}, ['nodes', 'pods'], {
      nodeFieldSelector: 'metadata.name=node2',
    });
    cleanups.push(
      () => own.close(),
      () => theirs.close(),
    );
    await Promise.all([own.start(), theirs.start()]);
    expect(names(own)).toEqual(['node2']);
    expect([...own.pods().keys()].sort()).toEqual([...theirs.pods().keys()].sort());
    expect(own.pods().size).toBeGreaterThan(0);
  });

  it.each([
    ['a wrong token (401)', { token: 'not-the-token' }],
    ['plain http without insecure-skip-tls-verify', {}],
    ['nothing listening', {}],
  ])('says what is wrong in the words client-node gets: %s', async (what, opts) => {
    const server = await startServer();
    let url: string | undefined;
    if (what === 'nothing listening') {
      const port = await new Promise<number>((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as { port: number }).port;
          s.close(() => resolve(p));
        });
      });
      url = `http://127.0.0.1:${port}`;
    }
    const plain = what.startsWith('plain http');
    const kubeconfig = writeKubeconfig(server, { ...opts, ...(url ? { url } : {}) });
    cleanups.push(() => kubeconfig.remove());
    if (plain) {
      // the lab's kubeconfig has skip-verify; without it client-node refuses http
      writeFileSync(
        kubeconfig.path,
        readFileSync(kubeconfig.path, 'utf8').replace(/.*insecure-skip-tls-verify.*\n/, ''),
      );
    }
    const own = new KubeReflectors(
      () => new HttpKubeClient(loadKubeEndpoint(kubeconfig.path)!),
      () => {},
      ['nodes'],
    );
    const theirs = new KubeWatch(loadKubeConfig(kubeconfig.path), () => {}, ['nodes']);
    cleanups.push(
      () => own.close(),
      () => theirs.close(),
    );
    await Promise.all([own.start(), theirs.start()]);
    expect(own.problems()).toHaveLength(1);
    expect(own.problems()).toEqual(theirs.problems());
    expect(own.nodes().size).toBe(0);
  });

  it("speaks TLS with the kubeconfig's CA and token, and refuses a server its CA did not sign, as client-node does", async () => {
    const server = await startServer();
    const dir = mkdtempSync(join(tmpdir(), 'podnet-http-client-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    makePki(dir, 'ca', 'api', ['IP:127.0.0.1']);
    makePki(dir, 'other-ca', 'unused', ['IP:127.0.0.1']);
    // TLS in front of the test server, as an apiserver serves it
    const front = createTlsServer(
      { cert: readFileSync(join(dir, 'api.pem')), key: readFileSync(join(dir, 'api.key')) },
      (c) => {
        const upstream = connect(Number(new URL(server.url).port), '127.0.0.1');
        // either side going away (a client closed, the server closed) ends the other
        c.on('error', () => upstream.destroy());
        upstream.on('error', () => c.destroy());
        c.pipe(upstream).pipe(c);
      },
    );
    await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => front.close(r)));
    const url = `https://127.0.0.1:${(front.address() as { port: number }).port}`;
    const configWith = (ca: string) => {
      const path = join(dir, `config-${ca}`);
      writeFileSync(
        path,
        `clusters:\n- name: c\n  cluster:\n    server: ${url}\n    certificate-authority: ${ca}.pem\n` +
          `users:\n- name: u\n  user:\n    token: ${server.token}\n` +
          'contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n',
      );
      return path;
    };
    for (const ca of ['ca', 'other-ca']) {
      const path = configWith(ca);
      const own = new KubeReflectors(
        () => new HttpKubeClient(loadKubeEndpoint(path)!),
        () => {},
        ['nodes'],
      );
      const theirs = new KubeWatch(loadKubeConfig(path), () => {}, ['nodes']);
      cleanups.push(
        () => own.close(),
        () => theirs.close(),
      );
      await Promise.all([own.start(), theirs.start()]);
      expect(own.problems()).toEqual(theirs.problems());
      if (ca === 'ca') expect(names(own)).toEqual(['node1', 'node2', 'node3']);
      else expect(own.problems().join()).toMatch(/certificate was not accepted/);
    }
  });
});
