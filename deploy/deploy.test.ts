// deploy/ as a cluster receives it: the kustomize base rendered by kubectl (whichever is on
// PATH; scripts/setup --test installs Debian's 1.20 when there is none) equals
// deploy/podnet.yaml; every object validates against the Kubernetes OpenAPI schemas
// (kubernetes-models, offline); every `podnet …` command line the pods run, with its
// $(VARS) filled in as the kubelet fills them, is accepted by the CLI's own option parser;
// and the settings, Secrets and host paths the objects share agree from each reader's side.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../cli/args.js';
import { commands } from '../cli/commands/index.js';
import { SECRETS } from '../lib/kube/podnet-secrets.js';
import { DAEMONSET_AGENT_ARGS, DAEMONSET_INSTALL_ARGS, labArgs } from '../lab/daemonset-args.js';

const deployDir = dirname(fileURLToPath(import.meta.url));
const root = join(deployDir, '..');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`YAML: ${doc.errors[0]!.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const keyOf = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

function byKey(objects: K8sObject[]): Map<string, K8sObject> {
  const map = new Map(objects.map((o) => [keyOf(o), o]));
  expect(map.size, 'two objects of the same kind, namespace and name').toBe(objects.length);
  return map;
}

// kubectl 1.32 warns on stderr that commonLabels is deprecated: kustomize v2.0.3 knows no
// other way, so the base keeps it (the warning is kept off the test's output).
const rendered = parseObjects(
  execFileSync('kubectl', ['kustomize', deployDir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
);
const file = parseObjects(readFileSync(join(deployDir, 'podnet.yaml'), 'utf8'));
const objects = byKey(rendered);

function get<T = K8sObject>(kind: string, name: string, namespace = 'podnet-system'): T {
  const o = objects.get(`${kind}/${namespace}/${name}`);
  if (!o) throw new Error(`no ${kind} ${namespace}/${name} in the rendered base`);
  return o as T;
}

const config = get<K8sObject & { data: Record<string, string> }>('ConfigMap', 'podnet-config').data;

type Workload = K8sObject & { spec: { template: { spec: IPodSpec } } };
const workloads = rendered.filter((o): o is Workload => ['DaemonSet', 'Deployment', 'Job'].includes(o.kind));
const containersOf = (w: Workload): IContainer[] => [
  ...(w.spec.template.spec.initContainers ?? []),
  ...w.spec.template.spec.containers,
];

describe('deploy/podnet.yaml', () => {
  it('holds the same objects as `kubectl kustomize deploy/`', () => {
    const inFile = byKey(file);
    expect([...inFile.keys()].sort()).toEqual([...objects.keys()].sort());
    for (const [key, o] of objects) expect(inFile.get(key), key).toEqual(o);
  });
});

// One model per kind the base holds: an object of any other kind fails the test until its
// schema is added here.
const models: Record<string, new (data: never) => { validate(): void }> = {
  'v1 Namespace': Namespace,
  'v1 ServiceAccount': ServiceAccount,
  'v1 ConfigMap': ConfigMap,
  'v1 Service': Service,
  'apps/v1 DaemonSet': DaemonSet,
  'apps/v1 Deployment': Deployment,
  'batch/v1 Job': Job,
  'rbac.authorization.k8s.io/v1 ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1 ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1 Role': Role,
  'rbac.authorization.k8s.io/v1 RoleBinding': RoleBinding,
};

/** The schema's complaint, or null when the object is valid. */
function schemaError(o: K8sObject): string | null {
  const Model = models[`${o.apiVersion} ${o.kind}`];
  if (!Model) return `no schema here for ${o.apiVersion} ${o.kind}`;
  try {
    new Model(structuredClone(o) as never).validate();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('the Kubernetes OpenAPI schemas (kubernetes-models)', () => {
  it.each([...objects.keys()])('%s is valid', (key) => {
    expect(schemaError(objects.get(key)!)).toBeNull();
  });

  // The schemas check types, required fields and enums (they let unknown fields pass).
  const broken: [string, () => K8sObject][] = [
    [
      'a containerPort that is not a number',
      () => {
        const ds = structuredClone(get<Workload>('DaemonSet', 'podnet-node'));
        (ds.spec.template.spec.containers[0]!.ports![0]! as { containerPort: unknown }).containerPort = 'x';
        return ds;
      },
    ],
    [
      'a restartPolicy that does not exist',
      () => {
        const job = structuredClone(get<Workload>('Job', 'podnet-setup'));
        (job.spec.template.spec as { restartPolicy: string }).restartPolicy = 'Sometimes';
        return job;
      },
    ],
    [
      'a rule without verbs',
      () => {
        const role = structuredClone(
          get<K8sObject & { rules: { verbs?: string[] }[] }>('ClusterRole', 'podnet-node', ''),
        );
        delete role.rules[0]!.verbs;
        return role;
      },
    ],
  ];
  it.each(broken)('refuses %s', (_what, make) => {
    expect(schemaError(make())).toMatch(/must/);
  });
});

/** $(VAR) as the kubelet expands it in args: from the container's env, whose values come
 *  from the downward API (a sample node name) or podnet-config. An unknown variable would be
 *  left as the literal "$(VAR)": here it is an error. */
function expand(args: string[], c: IContainer, w: Workload): string[] {
  const env = new Map<string, string>();
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const ref = e.valueFrom?.configMapKeyRef;
    if (e.value !== undefined) env.set(e.name, e.value);
    else if (field === 'spec.nodeName') env.set(e.name, 'node1');
    else if (field === 'metadata.namespace') env.set(e.name, w.metadata.namespace!);
    else if (ref?.name === 'podnet-config' && ref.key in config) env.set(e.name, config[ref.key]!);
    else throw new Error(`${w.kind} ${w.metadata.name}/${c.name}: env ${e.name} has no value here`);
  }
  return args.map((a) =>
    a.replace(/\$\((\w+)\)/g, (_, name: string) => {
      const v = env.get(name);
      if (v === undefined) throw new Error(`${w.kind} ${w.metadata.name}/${c.name}: $(${name}) is not in its env`);
      return v;
    }),
  );
}

const podnetLines = workloads.flatMap((w) =>
  containersOf(w)
    .filter((c) => c.command?.[0] === 'podnet')
    .map((c) => ({ where: `${w.kind} ${w.metadata.name}/${c.name}`, w, c, argv: expand(c.args ?? [], c, w) })),
);

/** The command bin/podnet would run for argv (cli/main.ts's lookup: the longest path). */
function commandFor(argv: string[]) {
  let best: (typeof commands)[number] | undefined;
  for (const c of commands)
    if (c.path.every((word, i) => argv[i] === word) && (!best || c.path.length > best.path.length)) best = c;
  return best;
}

describe("the pods' podnet command lines", () => {
  it('are the four the base runs', () => {
    expect(podnetLines.map((l) => l.where).sort()).toEqual([
      'DaemonSet podnet-node/agent',
      'DaemonSet podnet-node/install-cni',
      'Deployment podnet-dashboard/dashboard',
      'Job podnet-setup/secrets',
    ]);
  });

  it.each(podnetLines.map((l) => [l.where, l.argv] as const))(
    '%s: accepted by its command in the CLI',
    (_where, argv) => {
      const command = commandFor(argv);
      expect(command, `no command "podnet ${argv.join(' ')}" in cli/commands/index.ts`).toBeDefined();
      const parsed = parseArgs(argv.slice(command!.path.length), command!.options);
      expect(parsed.positionals, 'words the command does not take').toEqual([]);
    },
  );
});

// The Kubernetes-shaped lab runs these two command lines on each of its nodes
// (lab/daemonset-args.ts): they must be the manifest's, word for word, or the lab proves
// something the DaemonSet does not do.
describe("the lab's copy of the DaemonSet's command lines", () => {
  const ds = get<Workload>('DaemonSet', 'podnet-node');
  const container = (name: string) => containersOf(ds).find((c) => c.name === name)!;
  it.each([
    ['install-cni', DAEMONSET_INSTALL_ARGS],
    ['agent', DAEMONSET_AGENT_ARGS],
  ] as const)('%s: equal to the manifest', (name, args) => {
    expect(args).toEqual(container(name).args);
  });
  it('a change the lab makes to a flag the manifest lost is refused', () => {
    const args = DAEMONSET_AGENT_ARGS.filter((a) => a !== '--tls-cert' && !a.endsWith('tls.crt'));
    const env = { NODE_NAME: 'n', AGENT_PORT: '1', CLUSTER_NETWORK: '10.244.0.0/16', UPLINK: 'eth0' };
    expect(() => labArgs(args, { env, set: { 'tls-cert': null }, add: [] })).toThrow(/no --tls-cert/);
    expect(() => labArgs(['--node', '$(NODE_NAME)'], { env: {}, set: {}, add: [] })).toThrow(/needs NODE_NAME/);
    expect(
      labArgs(['agent', '--node', '$(NODE_NAME)', '--x', 'y', '--b'], {
        env: { NODE_NAME: 'n1' },
        set: { x: 'z', b: null },
        add: ['--k', 'v'],
      }),
    ).toEqual(['agent', '--node', 'n1', '--x', 'z', '--k', 'v']);
  });
});

// Container path → the host path (or Secret) behind it, through the pod's mounts.
function source(w: Workload, c: IContainer, path: string): string {
  const mount = (c.volumeMounts ?? [])
    .filter((m) => path === m.mountPath || path.startsWith(`${m.mountPath}/`))
    .sort((a, b) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return `image:${path}`;
  const volume = w.spec.template.spec.volumes?.find((v) => v.name === mount.name);
  if (!volume) throw new Error(`${w.metadata.name}/${c.name}: mount ${mount.name} has no volume`);
  const rest = path.slice(mount.mountPath.length);
  if (volume.hostPath) return `host:${volume.hostPath.path}${rest}`;
  if (volume.secret) return `secret:${volume.secret.secretName}${rest}`;
  return `${Object.keys(volume).find((k) => k !== 'name')}:${mount.name}${rest}`;
}

function option(line: (typeof podnetLines)[number], name: string): string {
  const i = line.argv.indexOf(`--${name}`);
  expect(i, `${line.where} has no --${name}`).toBeGreaterThanOrEqual(0);
  return line.argv[i + 1]!;
}
const line = (where: string) => podnetLines.find((l) => l.where === where)!;
const agent = line('DaemonSet podnet-node/agent');
const install = line('DaemonSet podnet-node/install-cni');
const dashboard = line('Deployment podnet-dashboard/dashboard');

// What `podnet deploy secrets` writes into each Secret (lib/kube/podnet-secrets.ts).
const SECRET_KEYS: Record<string, string[]> = {
  [SECRETS.token]: ['token'],
  [SECRETS.verifier]: ['verifier'],
  [SECRETS.tls]: ['tls.crt', 'tls.key'],
  [SECRETS.ca]: ['ca.crt'],
  [SECRETS.dashboardKey]: ['key'],
};

describe('what the objects share agrees', () => {
  it("podnet-config's agent-port is the agents' containerPort `agent`, which the probes use", () => {
    const c = agent.c;
    const port = c.ports?.find((p) => p.name === 'agent');
    expect(String(port?.containerPort)).toBe(config['agent-port']);
    expect(option(agent, 'listen')).toBe(`0.0.0.0:${config['agent-port']}`);
    expect(option(dashboard, 'agent-port')).toBe(config['agent-port']);
    for (const probe of [c.livenessProbe, c.readinessProbe]) expect(probe?.httpGet?.port).toBe('agent');
  });

  it('the Secrets the setup Job creates are exactly the ones the pods mount, and the Role may read', () => {
    const mounted = new Set(
      workloads.flatMap((w) => (w.spec.template.spec.volumes ?? []).flatMap((v) => v.secret?.secretName ?? [])),
    );
    expect([...mounted].sort()).toEqual(Object.values(SECRETS).sort());
    const role = get<K8sObject & { rules: { verbs: string[]; resourceNames?: string[] }[] }>('Role', 'podnet-setup');
    const readable = role.rules.filter((r) => r.verbs.includes('get')).flatMap((r) => r.resourceNames ?? []);
    expect(readable.sort()).toEqual(Object.values(SECRETS).sort());
  });

  it('every file option that names a Secret names a key the Job writes into it', () => {
    const files = [
      [agent, 'token-file'],
      [agent, 'tls-cert'],
      [agent, 'tls-key'],
      [dashboard, 'agent-token-file'],
      [dashboard, 'agent-ca-file'],
      [dashboard, 'token-file'],
    ] as const;
    for (const [l, name] of files) {
      const [kind, secret, key] = source(l.w, l.c, option(l, name)).split(/[:/]/);
      expect(kind, `${l.where} --${name}`).toBe('secret');
      expect(SECRET_KEYS[secret!], `${l.where} --${name}`).toContain(key);
    }
  });

  it('the agent reads, on the host, the conflist and socket the install step writes there', () => {
    const conflist = posix.join(option(install, 'conf-dir'), '10-podnet.conflist');
    expect(source(agent.w, agent.c, option(agent, 'conflist'))).toBe(source(install.w, install.c, conflist));
    // The conflist's agentSocket is a path on the host (the runtime runs the plugins there).
    expect(source(agent.w, agent.c, option(agent, 'cni-socket'))).toBe(`host:${option(install, 'agent-socket')}`);
    expect(source(install.w, install.c, option(install, 'bin-dir'))).toBe('host:/opt/cni/bin');
  });

  it('every ServiceAccount a pod runs as is bound to its role', () => {
    const bindings = rendered.filter(
      (o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding',
    ) as (K8sObject & {
      subjects: { kind: string; name: string; namespace: string }[];
    })[];
    for (const w of workloads) {
      const sa = w.spec.template.spec.serviceAccountName!;
      get('ServiceAccount', sa);
      const bound = bindings.some((b) =>
        b.subjects.some((s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === w.metadata.namespace),
      );
      expect(bound, `${w.kind} ${w.metadata.name} runs as ${sa}, which nothing binds`).toBe(true);
    }
  });
});
