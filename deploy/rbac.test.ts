// deploy/rbac.yaml is true to the code: each component that talks to the Kubernetes API runs
// for real against the test API server (test/kube-api-server.ts), doing its normal work and
// surviving a watch restart; every request it made becomes the authorization attributes the
// apiserver derives from it (verb, API group, resource, namespace, name), and these are
// evaluated against the rules its ServiceAccount gets in deploy/ (Roles and ClusterRoles
// followed through their bindings to the subject, as the RBAC authorizer does). Every call
// must be allowed, and every privilege granted must be used by some call: nothing the code
// needs is missing, nothing it never uses is given.
//
// Which ServiceAccount runs which component is read from the workloads (serviceAccountName of
// the container whose `podnet …` command it is), the namespace from kustomization.yaml.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { KubeIntentSource } from '../agent/kube-intent-source.js';
import type { Intent } from '../agent/findings.js';
import { freePort } from '../test/tcp.js';
import {
  fixtureEvents,
  fixtureJson,
  KubeApiServer,
  writeKubeconfig,
  type KubeList,
  type RecordedRequest,
} from '../test/kube-api-server.js';

const deployDir = dirname(fileURLToPath(import.meta.url));
const root = join(deployDir, '..');

// ---------------------------------------------------------------------------------------------
// deploy/ as kustomize renders it, as far as RBAC is concerned: the base's resources, each
// namespaced object put into the kustomization's namespace.

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [field: string]: unknown;
}

const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

function loadBase(): { namespace: string; objects: K8sObject[] } {
  const k = parse(readFileSync(join(deployDir, 'kustomization.yaml'), 'utf8')) as {
    namespace?: string;
    resources: string[];
  };
  if (!k.namespace) throw new Error('kustomization.yaml sets no namespace');
  const objects = k.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(deployDir, file), 'utf8'))
      .map((doc) => {
        if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
        return doc.toJS() as K8sObject | null;
      })
      .filter((o): o is K8sObject => o !== null)
      .map((o) =>
        CLUSTER_SCOPED.has(o.kind) || o.metadata.namespace
          ? o
          : { ...o, metadata: { ...o.metadata, namespace: k.namespace } },
      ),
  );
  return { namespace: k.namespace, objects };
}

const base = loadBase();
const NS = base.namespace;

interface ServiceAccountRef {
  namespace: string;
  name: string;
}
const saText = (sa: ServiceAccountRef) => `system:serviceaccount:${sa.namespace}:${sa.name}`;

type Container = { name: string; command?: string[]; args?: string[] };
type Workload = K8sObject & {
  spec: {
    template: { spec: { serviceAccountName?: string; initContainers?: Container[]; containers: Container[] } };
  };
};

/** The ServiceAccount of the one container whose command line starts `podnet <words…>`, and
 *  that line (so a test can check the component talks to the API as it runs it here). */
function runAs(words: string[]): { sa: ServiceAccountRef; where: string; args: string[] } {
  const found = base.objects
    .filter((o): o is Workload => ['DaemonSet', 'Deployment', 'Job'].includes(o.kind))
    .flatMap((w) =>
      [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers].map((c) => ({ w, c })),
    )
    .filter(({ c }) => {
      const line = [...(c.command ?? []), ...(c.args ?? [])];
      return line[0] === 'podnet' && words.every((word, i) => line[i + 1] === word);
    });
  if (found.length !== 1) throw new Error(`${found.length} containers run podnet ${words.join(' ')} in deploy/`);
  const { w, c } = found[0]!;
  return {
    sa: { namespace: w.metadata.namespace!, name: w.spec.template.spec.serviceAccountName ?? 'default' },
    where: `${w.kind} ${w.metadata.name}, container ${c.name}`,
    args: c.args ?? [],
  };
}

// ---------------------------------------------------------------------------------------------
// A request as the apiserver's authorizer sees it (k8s.io/apiserver requestinfo.go).

interface Attributes {
  verb: string;
  /** '' for the core group (/api/v1) */
  apiGroup: string;
  resource: string;
  subresource: string;
  /** '' when cluster-scoped, or a namespaced resource across all namespaces */
  namespace: string;
  name: string;
  /** set instead of the rest for a path outside /api and /apis (discovery, /version…) */
  nonResourcePath?: string;
  /** the request, for messages */
  call: string;
}

const VERB_OF_METHOD: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function attributesOf(r: RecordedRequest): Attributes {
  const call = `${r.method} ${r.path}${r.query}`;
  const q = new URLSearchParams(r.query);
  let parts = r.path.split('/').filter((p) => p !== '');
  const none = { apiGroup: '', resource: '', subresource: '', namespace: '', name: '' };
  let apiGroup: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiGroup = '';
    parts = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1]!;
    parts = parts.slice(3);
  } else return { verb: r.method.toLowerCase(), ...none, nonResourcePath: r.path, call };
  let verb = r.method === 'GET' || r.method === 'HEAD' ? 'get' : (VERB_OF_METHOD[r.method] ?? r.method.toLowerCase());
  // the deprecated /api/v1/watch/… paths
  if (parts[0] === 'watch') {
    verb = 'watch';
    parts = parts.slice(1);
  }
  let namespace = '';
  // /namespaces/NS/<resource>…, but /namespaces and /namespaces/NAME are the namespaces themselves
  if (parts[0] === 'namespaces' && parts.length >= 3) {
    namespace = parts[1]!;
    parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = parts.map(decodeURIComponent);
  let attrName = name;
  if (!name) {
    if (verb === 'get') verb = ['1', 'true'].includes(q.get('watch') ?? '') ? 'watch' : 'list';
    else if (verb === 'delete') verb = 'deletecollection';
    // a list or watch narrowed to one object by its name is authorized for that name (the
    // apiserver propagates the field selector's metadata.name to the request's name): a rule
    // without resourceNames allows it as it allows the whole list
    const m = /^metadata\.name==?([^,=!]+)$/.exec(q.get('fieldSelector') ?? '');
    if ((verb === 'list' || verb === 'watch') && m) attrName = m[1]!;
  } else if (verb === 'get' && ['1', 'true'].includes(q.get('watch') ?? '')) verb = 'watch';
  return { verb, apiGroup, resource, subresource, namespace, name: attrName, call };
}

// ---------------------------------------------------------------------------------------------
// RBAC: the rules that apply to a ServiceAccount, and whether they allow a request.

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Grant {
  rule: PolicyRule;
  /** null: every namespace and the cluster-scoped resources (a ClusterRoleBinding) */
  namespace: string | null;
  /** "ClusterRole podnet-node (ClusterRoleBinding podnet-node)", for messages */
  from: string;
}

type Binding = K8sObject & {
  roleRef: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
};
type RoleObject = K8sObject & { rules?: PolicyRule[]; aggregationRule?: unknown };

function boundTo(b: Binding, sa: ServiceAccountRef): boolean {
  return (b.subjects ?? []).some((s) =>
    s.kind === 'ServiceAccount'
      ? s.name === sa.name && (s.namespace ?? b.metadata.namespace) === sa.namespace
      : s.kind === 'User'
        ? s.name === saText(sa)
        : s.kind === 'Group' &&
          ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`, 'system:authenticated'].includes(s.name),
  );
}

function grantsFor(objects: K8sObject[], sa: ServiceAccountRef): Grant[] {
  const role = (kind: string, name: string, namespace?: string): RoleObject => {
    const r = objects.find(
      (o) =>
        o.kind === kind && o.metadata.name === name && (kind === 'ClusterRole' || o.metadata.namespace === namespace),
    ) as RoleObject | undefined;
    if (!r) throw new Error(`a binding refers to ${kind} ${name}, which deploy/ does not have`);
    if (r.aggregationRule) throw new Error(`${kind} ${name} aggregates: this test does not follow aggregation`);
    return r;
  };
  const grants: Grant[] = [];
  for (const b of objects as Binding[]) {
    if ((b.kind !== 'RoleBinding' && b.kind !== 'ClusterRoleBinding') || !boundTo(b, sa)) continue;
    if (b.kind === 'ClusterRoleBinding' && b.roleRef.kind !== 'ClusterRole')
      throw new Error(`ClusterRoleBinding ${b.metadata.name} refers to a ${b.roleRef.kind}: invalid`);
    const r = role(b.roleRef.kind, b.roleRef.name, b.metadata.namespace);
    // a RoleBinding grants only in its namespace, even a ClusterRole's rules
    const namespace = b.kind === 'RoleBinding' ? b.metadata.namespace! : null;
    for (const rule of r.rules ?? [])
      grants.push({ rule, namespace, from: `${r.kind} ${r.metadata.name} (${b.kind} ${b.metadata.name})` });
  }
  return grants;
}

const has = (list: string[] | undefined, v: string) => (list ?? []).some((x) => x === '*' || x === v);

/** The RBAC authorizer's RuleAllows, and the binding's scope. */
function allows(g: Grant, a: Attributes): boolean {
  const r = g.rule;
  if (a.nonResourcePath !== undefined) {
    if (g.namespace !== null) return false; // non-resource URLs only through ClusterRoleBindings
    return (r.nonResourceURLs ?? []).some(
      (u) => u === a.nonResourcePath || (u.endsWith('*') && a.nonResourcePath!.startsWith(u.slice(0, -1))),
    );
  }
  if (g.namespace !== null && a.namespace !== g.namespace) return false;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return (
    has(r.verbs, a.verb) &&
    has(r.apiGroups, a.apiGroup) &&
    has(r.resources, resource) &&
    // a rule naming objects matches only requests for one of them (a create, or a list of
    // everything, names none)
    (!r.resourceNames?.length || r.resourceNames.includes(a.name))
  );
}

/** What the grants refuse, one sentence a call. */
function refused(grants: Grant[], calls: Attributes[], sa: ServiceAccountRef): string[] {
  return calls
    .filter((a) => !grants.some((g) => allows(g, a)))
    .map((a) =>
      a.nonResourcePath !== undefined
        ? `${saText(sa)} may not ${a.verb} the non-resource URL ${a.nonResourcePath} (${a.call})`
        : `${saText(sa)} may not ${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}` +
          `${a.apiGroup ? `.${a.apiGroup}` : ''}${a.name ? ` "${a.name}"` : ''}` +
          `${a.namespace ? ` in ${a.namespace}` : ' cluster-wide'} (${a.call})`,
    );
}

/** Every (apiGroup, resource, verb[, resourceName]) the grants give that no call used. */
function unused(grants: Grant[], calls: Attributes[]): string[] {
  const out: string[] = [];
  for (const g of grants) {
    const r = g.rule;
    const wild = [r.verbs, r.apiGroups, r.resources].some((l) => (l ?? []).includes('*'));
    if (wild) {
      out.push(`${g.from}: a wildcard (${JSON.stringify(r)}) grants more than any set of calls can use`);
      continue;
    }
    for (const url of r.nonResourceURLs ?? [])
      for (const verb of r.verbs)
        if (
          !calls.some(
            (a) =>
              a.nonResourcePath !== undefined &&
              allows({ ...g, rule: { ...r, nonResourceURLs: [url], verbs: [verb] } }, a),
          )
        )
          out.push(`${g.from}: ${verb} ${url}`);
    for (const apiGroup of r.apiGroups ?? [])
      for (const resource of r.resources ?? [])
        for (const verb of r.verbs)
          for (const name of r.resourceNames?.length ? r.resourceNames : [null]) {
            const used = calls.some(
              (a) =>
                a.nonResourcePath === undefined &&
                a.verb === verb &&
                a.apiGroup === apiGroup &&
                (a.subresource ? `${a.resource}/${a.subresource}` : a.resource) === resource &&
                (name === null || a.name === name) &&
                (g.namespace === null || a.namespace === g.namespace),
            );
            if (!used)
              out.push(
                `${g.from}: ${verb} ${resource}${apiGroup ? `.${apiGroup}` : ''}${name === null ? '' : ` "${name}"`}`,
              );
          }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The components, run for real. Each gets a test API server of its own, so its requests are
// its own; whatever a run starts is stopped in its finally (and in afterAll, should a run be
// cut short by its test's timeout).

const cleanups = new Set<() => Promise<void>>();
async function withCleanup<T>(body: (defer: (f: () => unknown) => void) => Promise<T>): Promise<T> {
  const fs: Array<() => unknown> = [];
  const all = async () => {
    cleanups.delete(all);
    for (const f of fs.splice(0).reverse()) await f();
  };
  cleanups.add(all);
  try {
    return await body((f) => fs.push(f));
  } finally {
    await all();
  }
}
afterAll(async () => {
  for (const c of [...cleanups]) await c();
});

async function until(what: () => string, check: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const hard = setTimeout(() => c.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(hard);
}

const expired = () => fixtureEvents('watch-error-410-expired.as-captured.jsonl').slice(0, 1);

/** the reference NodeList with node2 as the API shows it before it has a podCIDR */
function nodesWithoutPodCidr(node: string): KubeList {
  const list = fixtureJson<KubeList>('nodelist.reference.json');
  const n = list.items.find((x) => x.metadata.name === node);
  delete n.spec.podCIDR;
  delete n.spec.podCIDRs;
  return list;
}

async function startServer(defer: (f: () => unknown) => void, nodes?: KubeList) {
  const server = await KubeApiServer.start(nodes ? { nodes } : {});
  defer(() => server.close());
  const kubeconfig = writeKubeconfig(server);
  defer(() => kubeconfig.remove());
  return { server, kubeconfig };
}

interface Component {
  id: 'install' | 'agent' | 'dashboard' | 'setup';
  /** `podnet <words>` in deploy/ */
  words: string[];
  /** the options that put it on the API, as deploy/ gives them */
  apiOptions: string[];
  run(): Promise<RecordedRequest[]>;
}

const components: Component[] = [
  {
    // The DaemonSet's init container: it follows its own Node until the Node has a podCIDR,
    // here through a 410 Expired watch (the re-list path), then writes the conflist.
    id: 'install',
    words: ['cni', 'install'],
    apiOptions: ['--kubernetes', '--node'],
    run: () =>
      withCleanup(async (defer) => {
        const { server, kubeconfig } = await startServer(defer, nodesWithoutPodCidr('node2'));
        const dir = mkdtempSync(join(tmpdir(), 'podnet-rbac-install-'));
        defer(() => rmSync(dir, { recursive: true, force: true }));
        server.failNextWatch('nodes', expired());
        // the bin and conf dirs are the test's; what the API sees is as deploy/ runs it
        const child = spawn(
          'bin/podnet',
          [
            'cni',
            'install',
            '--kubernetes',
            '--node',
            'node2',
            '--bin-dir',
            join(dir, 'bin'),
            '--conf-dir',
            join(dir, 'net.d'),
            '--cluster-network',
            '10.244.0.0/16',
            '--kubeconfig',
            kubeconfig.path,
          ],
          { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        defer(() => stop(child));
        let log = '';
        child.stdout!.on('data', (d) => (log += d));
        child.stderr!.on('data', (d) => (log += d));
        const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
        await until(
          () => `the install step re-lists after the 410 and watches node2 again (log: ${log})`,
          () => server.count('list', 'nodes') >= 2 && server.openWatches('nodes') === 1,
        );
        const node2 = fixtureJson<KubeList>('nodelist.reference.json').items.find((n) => n.metadata.name === 'node2');
        server.emit('nodes', {
          type: 'MODIFIED',
          object: { ...node2, metadata: { ...node2.metadata, resourceVersion: '2101' } },
        });
        expect(await exited, log).toBe(0);
        expect(
          JSON.parse(readFileSync(join(dir, 'net.d', '10-podnet.conflist'), 'utf8')).plugins[0].ipam.ranges,
        ).toEqual([[{ subnet: '10.244.2.0/24' }]]);
        return [...server.requests];
      }),
  },
  {
    // The DaemonSet's agent. It runs on the node's own network (hostNetwork): outside a
    // network namespace it would read and program this machine's routes and firewall, and
    // inside one the test would need root and namespaces (agent/kube-intent.netns.test.ts
    // runs it so). Its only API client is KubeIntentSource, which startAgent builds from
    // --kubernetes exactly as here (checked below): driven in-process, it makes the same
    // calls. It lists and watches, re-lists after a 410, watches again after a watch ends.
    id: 'agent',
    words: ['agent'],
    apiOptions: ['--kubernetes'],
    run: () =>
      withCleanup(async (defer) => {
        const { server, kubeconfig } = await startServer(defer);
        server.failNextWatch('nodes', expired());
        let intent: Intent | null = null;
        const source = new KubeIntentSource(
          { kubeconfig: kubeconfig.path, node: 'node1', clusterNetwork: '10.244.0.0/16', uplink: 'eth0' },
          (next) => (intent = next),
        );
        defer(() => source.stop());
        await source.start();
        await until(
          () => `the agent re-lists after the 410 and watches again (lists: ${server.count('list', 'nodes')})`,
          () => server.count('list', 'nodes') >= 2 && server.openWatches('nodes') === 1,
        );
        const watches = server.count('watch', 'nodes');
        server.endWatches('nodes');
        await until(
          () => 'the agent watches again after its watch ended',
          () => server.count('watch', 'nodes') > watches && server.openWatches('nodes') === 1,
        );
        const node3 = fixtureJson<KubeList>('nodelist.reference.json').items.find((n) => n.metadata.name === 'node3');
        server.emit('nodes', {
          type: 'DELETED',
          object: { ...node3, metadata: { ...node3.metadata, resourceVersion: '2200' } },
        });
        await until(
          () => `the agent forgets the deleted node3 (peers: ${JSON.stringify(intent?.peers)})`,
          () => intent?.peers.map((p) => p.name).join() === 'node2',
        );
        return [...server.requests];
      }),
  },
  {
    // The dashboard's kubernetes source: lists and watches Nodes and Pods, re-lists both
    // after a 410, and watches again when its watches end.
    id: 'dashboard',
    words: ['dashboard'],
    apiOptions: ['--source', 'kubernetes'],
    run: () =>
      withCleanup(async (defer) => {
        const { server, kubeconfig } = await startServer(defer);
        server.failNextWatch('nodes', expired());
        server.failNextWatch('pods', expired());
        const child = spawn(
          'bin/podnet',
          [
            'dashboard',
            '--source',
            'kubernetes',
            '--kubeconfig',
            kubeconfig.path,
            '--agent-port',
            'off',
            '--port',
            String(await freePort()),
            '--json',
          ],
          { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        defer(() => stop(child));
        let out = '';
        let log = '';
        child.stdout!.on('data', (d) => ((out += d), (log += d)));
        child.stderr!.on('data', (d) => (log += d));
        const running = () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`podnet dashboard exited (${child.exitCode ?? child.signalCode}): ${log}`);
          return true;
        };
        // it starts its source on the first request for the cluster: a page's, here a script's
        // (the URL it prints carries the key it made)
        await until(
          () => `the dashboard prints its URL (log: ${log})`,
          () => running() && out.includes('\n'),
          150_000,
        );
        const url = new URL((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
        const snapshot = await fetch(`${url.origin}${url.pathname}api/trpc/topology.snapshot`, {
          headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
        });
        expect(snapshot.status, `${await snapshot.text()} (log: ${log})`).toBe(200);
        const both = () => running() && server.openWatches('nodes') === 1 && server.openWatches('pods') === 1;
        await until(
          () => `the dashboard re-lists nodes and pods after the 410s and watches again (log: ${log})`,
          () => server.count('list', 'nodes') >= 2 && server.count('list', 'pods') >= 2 && both(),
        );
        const watches = server.count('watch', 'nodes') + server.count('watch', 'pods');
        server.endWatches();
        await until(
          () => `the dashboard watches nodes and pods again after its watches ended (log: ${log})`,
          () => server.count('watch', 'nodes') + server.count('watch', 'pods') >= watches + 2 && both(),
        );
        await stop(child);
        return [...server.requests];
      }),
  },
  {
    // The podnet-setup Job: reads each of podnet's Secrets by name and creates the missing
    // ones; then a second run, as when the Job runs again, finds all five.
    id: 'setup',
    words: ['deploy', 'secrets'],
    apiOptions: [],
    run: () =>
      withCleanup(async (defer) => {
        const { server, kubeconfig } = await startServer(defer);
        // the Job's own line, $(POD_NAMESPACE) filled in as the kubelet does
        const args = runAs(['deploy', 'secrets']).args.map((a) => a.replace('$(POD_NAMESPACE)', NS));
        // not spawnSync: it would block the test API server, which runs in this process
        const podnet = () =>
          new Promise<{ code: number; out: string }>((resolve) =>
            execFile(
              'bin/podnet',
              [...args, '--kubeconfig', kubeconfig.path],
              { cwd: root, encoding: 'utf8', timeout: 60_000 },
              (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
            ),
          );
        for (const round of [1, 2]) {
          const r = await podnet();
          expect(r.code, `run ${round}: ${r.out}`).toBe(0);
        }
        expect(server.secrets.size).toBe(5);
        return [...server.requests];
      }),
  },
];

const runs = new Map<string, Promise<Attributes[]>>();
/** A component's calls, from one run of it shared by the tests that need them. */
function callsOf(id: Component['id']): Promise<Attributes[]> {
  if (!runs.has(id)) {
    const c = components.find((x) => x.id === id)!;
    runs.set(
      id,
      c.run().then((requests) => requests.map(attributesOf)),
    );
  }
  return runs.get(id)!;
}

const saOf = (c: Component) => runAs(c.words).sa;
const serviceAccounts = [...new Map(components.map((c) => [saText(saOf(c)), saOf(c)])).values()];

describe('deploy/rbac.yaml allows every call each component makes', () => {
  it.each(components)('$id runs as a ServiceAccount, on the API as deploy/ runs it', (c) => {
    const { sa, args, where } = runAs(c.words);
    expect(sa.namespace, where).toBe(NS);
    for (const o of c.apiOptions) expect(args, where).toContain(o);
    expect(base.objects.some((o) => o.kind === 'ServiceAccount' && o.metadata.name === sa.name)).toBe(true);
  });

  it('the agent talks to the API only through KubeIntentSource, built from --kubernetes', () => {
    const agentDir = join(root, 'agent');
    const clients = readdirSync(agentDir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) =>
        /@kubernetes\/client-node|lib\/kube\/(watch|secrets|config)/.test(readFileSync(join(agentDir, f), 'utf8')),
      );
    expect(clients).toEqual(['kube-intent-source.ts']);
    const agent = readFileSync(join(agentDir, 'agent.ts'), 'utf8');
    expect(agent).toMatch(/KubeIntentSource\(\s*\{ \.\.\.opts\.kubernetes, node: opts\.node \}/);
  });

  it.each(components)(
    '$id: every request it makes is allowed to its ServiceAccount',
    async (c) => {
      const calls = await callsOf(c.id);
      expect(calls.length).toBeGreaterThan(0);
      const sa = saOf(c);
      expect(refused(grantsFor(base.objects, sa), calls, sa)).toEqual([]);
    },
    240_000,
  );

  it.each(serviceAccounts.map((sa) => ({ sa, name: sa.name })))(
    '$name: every privilege it is given is used by a call of its components',
    async ({ sa }) => {
      const mine = components.filter((c) => saText(saOf(c)) === saText(sa));
      const calls = (await Promise.all(mine.map((c) => callsOf(c.id)))).flat();
      const grants = grantsFor(base.objects, sa);
      expect(grants.length, `no rules bound to ${saText(sa)}`).toBeGreaterThan(0);
      expect(
        unused(grants, calls),
        `privileges of ${saText(sa)} that ${mine.map((c) => c.id).join(' and ')} never use`,
      ).toEqual([]);
    },
    240_000,
  );
});

describe('the RBAC check can fail', () => {
  const rec = (method: string, path: string, query = ''): RecordedRequest => ({ method, path, query });

  it('derives the attributes as the apiserver does', () => {
    const pick = (r: RecordedRequest) => {
      const { verb, apiGroup, resource, subresource, namespace, name } = attributesOf(r);
      return [verb, apiGroup, resource, subresource, namespace, name];
    };
    expect(pick(rec('GET', '/api/v1/nodes'))).toEqual(['list', '', 'nodes', '', '', '']);
    expect(pick(rec('GET', '/api/v1/nodes', '?watch=1&resourceVersion=5'))).toEqual(['watch', '', 'nodes', '', '', '']);
    expect(pick(rec('GET', '/api/v1/nodes', '?fieldSelector=metadata.name%3Dnode2&watch=true'))).toEqual([
      'watch',
      '',
      'nodes',
      '',
      '',
      'node2',
    ]);
    expect(pick(rec('GET', '/api/v1/namespaces/ns/secrets/s'))).toEqual(['get', '', 'secrets', '', 'ns', 's']);
    expect(pick(rec('POST', '/api/v1/namespaces/ns/secrets'))).toEqual(['create', '', 'secrets', '', 'ns', '']);
    expect(pick(rec('PUT', '/api/v1/namespaces/ns/secrets/s'))).toEqual(['update', '', 'secrets', '', 'ns', 's']);
    expect(pick(rec('PATCH', '/api/v1/nodes/n/status'))).toEqual(['patch', '', 'nodes', 'status', '', 'n']);
    expect(pick(rec('DELETE', '/apis/apps/v1/namespaces/ns/daemonsets/d'))).toEqual([
      'delete',
      'apps',
      'daemonsets',
      '',
      'ns',
      'd',
    ]);
    expect(pick(rec('GET', '/api/v1/namespaces/podnet-system'))).toEqual([
      'get',
      '',
      'namespaces',
      '',
      '',
      'podnet-system',
    ]);
    expect(attributesOf(rec('GET', '/version')).nonResourcePath).toBe('/version');
  });

  it('a node role without watch refuses the recorded calls, naming each and the ServiceAccount', async () => {
    const sa = saOf(components.find((c) => c.id === 'agent')!);
    const calls = [...(await callsOf('install')), ...(await callsOf('agent'))];
    const narrowed = grantsFor(base.objects, sa).map((g) => ({
      ...g,
      rule: { ...g.rule, verbs: g.rule.verbs.filter((v) => v !== 'watch') },
    }));
    const no = refused(narrowed, calls, sa);
    expect(no.length).toBe(calls.filter((a) => a.verb === 'watch').length);
    expect(no.length).toBeGreaterThan(0);
    expect(no).toContain(
      `${saText(sa)} may not watch nodes "node2" cluster-wide (${calls.find((a) => a.verb === 'watch' && a.name === 'node2')!.call})`,
    );
    expect(no.some((m) => m.startsWith(`${saText(sa)} may not watch nodes cluster-wide (GET /api/v1/nodes?`))).toBe(
      true,
    );
  });

  it('a setup role without one Secret name refuses its get; a rule with names cannot allow create', async () => {
    const sa = saOf(components.find((c) => c.id === 'setup')!);
    const calls = await callsOf('setup');
    const grants = grantsFor(base.objects, sa);
    const fewer = grants.map((g) => ({
      ...g,
      rule: { ...g.rule, resourceNames: g.rule.resourceNames?.filter((n) => n !== 'podnet-dashboard-key') },
    }));
    expect(refused(fewer, calls, sa)).toEqual([
      `${saText(sa)} may not get secrets "podnet-dashboard-key" in ${NS} (GET /api/v1/namespaces/${NS}/secrets/podnet-dashboard-key)`,
      `${saText(sa)} may not get secrets "podnet-dashboard-key" in ${NS} (GET /api/v1/namespaces/${NS}/secrets/podnet-dashboard-key)`,
    ]);
    const named = grants.map((g) => ({ ...g, rule: { ...g.rule, resourceNames: ['podnet-agent-token'] } }));
    expect(refused(named, calls, sa).filter((m) => m.includes(' may not create secrets '))).toHaveLength(5);
    // a Role grants in its own namespace only
    const elsewhere = calls.map((a) => ({ ...a, namespace: 'kube-system' }));
    expect(refused(grants, elsewhere, sa)).toHaveLength(calls.length);
  });

  it('a widened role is reported for the privilege no call uses', async () => {
    const node = saOf(components.find((c) => c.id === 'agent')!);
    const nodeCalls = [...(await callsOf('install')), ...(await callsOf('agent'))];
    const widened = grantsFor(base.objects, node).map((g) => ({
      ...g,
      rule: { ...g.rule, verbs: [...g.rule.verbs, 'delete'] },
    }));
    expect(unused(widened, nodeCalls)).toEqual([
      'ClusterRole podnet-node (ClusterRoleBinding podnet-node): delete nodes',
    ]);
    expect(
      unused(
        [...widened, { ...widened[0]!, rule: { apiGroups: [''], resources: ['pods'], verbs: ['list'] } }],
        nodeCalls,
      ),
    ).toEqual([
      'ClusterRole podnet-node (ClusterRoleBinding podnet-node): delete nodes',
      'ClusterRole podnet-node (ClusterRoleBinding podnet-node): list pods',
    ]);
    const setup = saOf(components.find((c) => c.id === 'setup')!);
    const setupCalls = await callsOf('setup');
    const extraName = grantsFor(base.objects, setup).map((g) =>
      g.rule.resourceNames
        ? { ...g, rule: { ...g.rule, resourceNames: [...g.rule.resourceNames, 'kube-root-ca'] } }
        : g,
    );
    expect(unused(extraName, setupCalls)).toEqual([
      'Role podnet-setup (RoleBinding podnet-setup): get secrets "kube-root-ca"',
    ]);
    expect(
      unused([{ ...widened[0]!, rule: { apiGroups: ['*'], resources: ['nodes'], verbs: ['list'] } }], nodeCalls),
    ).toHaveLength(1);
  });
});
