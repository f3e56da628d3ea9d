// The lab with a Kubernetes control plane (`lab up --control-plane kubernetes`): the lab's
// API endpoint (lab/kube-api-server.ts, run as `podnet lab api-server`) holds the Nodes and
// Pods, and every node runs podnet as the DaemonSet does — the install step, which waits
// for the Node's podCIDR and writes the node's conflist, then the agent in --kubernetes
// mode, which learns the other nodes from the API. The lab plays the rest of the cluster:
// the kubelet registering its Node (NotReady, no podCIDR), the controller manager giving it
// a podCIDR, the kubelet reporting Ready once the network is up, and the Pods it runs.
//
// The endpoint listens on a unix socket (and, for the dashboard, on the root namespace's
// loopback); inside each node's namespace a bridge (socat) listens on 127.0.0.1:6443 and
// forwards to that socket, so no traffic goes from the root namespace into the lab.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { podnetCommand } from '../cni/bundles.js';
import { CLUSTER_NETWORK, type LabNode, type LabPod } from '../lib/model/lab.js';
import { recordProcess, stillRunning, type ProcessRecord } from '../lib/proc/identity.js';
import { sleepSync } from '../lib/proc/sleep.js';
import { DAEMONSET_AGENT_ARGS, DAEMONSET_INSTALL_ARGS, labArgs } from './daemonset-args.js';
import { LabError } from './errors.js';
import { kubeconfigText } from './kube-config.js';
import { kubeFiles, type LabKube } from './kube-state.js';
import { labFiles, nodeDir, type LabPaths } from './paths.js';

/** Where a node's programs reach the API, inside the node's namespace. */
export const NODE_API_URL = 'http://127.0.0.1:6443';
const NODE_API_PORT = 6443;

const nodeFiles = (p: LabPaths, node: string) => {
  const dir = nodeDir(p, node);
  return {
    kubeconfig: join(dir, 'kubeconfig'),
    bin: join(dir, 'bin'),
    conf: join(dir, 'net.d'),
    conflist: join(dir, 'net.d', '10-podnet.conflist'),
    installLog: join(dir, 'install.log'),
  };
};

/** The node's plugin directory (CNI_PATH) and conflist: the install step put them there. */
export const kubeNodeBin = (p: LabPaths, node: string) => nodeFiles(p, node).bin;
export const kubeNodeConflist = (p: LabPaths, node: string) => nodeFiles(p, node).conflist;

function apiToken(p: LabPaths): string {
  const file = kubeFiles(p).token;
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

/** Starts the endpoint (`podnet lab api-server`), detached like the agents, and waits until
 *  it listens; writes the machine's kubeconfig for it. `record` is called as soon as its
 *  PID is in `kube`: the caller writes the inventory, so a killed `lab up` leaves nothing
 *  `lab down` does not stop. */
export async function startApiServer(p: LabPaths, kube: LabKube, record: () => void): Promise<void> {
  const files = kubeFiles(p);
  const token = apiToken(p);
  rmSync(files.url, { force: true });
  const log = openSync(files.log, 'a');
  const child = spawn(podnetCommand()[0]!, [...podnetCommand().slice(1), 'lab', 'api-server', ...labIdArgs(p)], {
    detached: true,
    stdio: ['ignore', log, log],
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  child.unref();
  closeSync(log);
  kube.api = recordProcess(child.pid!);
  record();
  const deadline = Date.now() + 20_000;
  while (!existsSync(files.url)) {
    if (!stillRunning(kube.api))
      throw new LabError(`the lab's API endpoint exited: ${tail(files.log) || 'no log'} (${files.log})`);
    if (Date.now() > deadline) throw new LabError(`the lab's API endpoint did not listen within 20 s (${files.log})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  kube.url = readFileSync(files.url, 'utf8').trim();
  writeFileSync(files.kubeconfig, kubeconfigText(kube.url, token, 'podnet-lab'), { mode: 0o600 });
}

const labIdArgs = (p: LabPaths) => (p.labId ? ['--lab-id', p.labId] : []);

function tail(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-3).join('\n') : '';
}

/** Serves the endpoint until SIGTERM (the run of `podnet lab api-server`). State is in
 *  memory: after a restart the lab writes its Nodes and Pods again (seedApi), with newer
 *  versions, so the clients' old watches expire (410) and they list again. */
export async function serveApi(p: LabPaths, say: (line: string) => void): Promise<void> {
  const { KubeApiServer } = await import('./kube-api-server.js');
  const files = kubeFiles(p);
  if (!existsSync(files.token))
    throw new LabError(`no ${files.token}: "podnet lab up --control-plane kubernetes" starts this endpoint`);
  const server = await KubeApiServer.start({
    socket: files.socket,
    token: readFileSync(files.token, 'utf8').trim(),
    expireOldWatches: true,
    recordRequests: false,
    log: say,
  });
  writeFileSync(`${files.url}.tmp`, `${server.url}\n`);
  renameSync(`${files.url}.tmp`, files.url);
  say(`the lab's Kubernetes API endpoint (a test double) listens on ${server.url} and ${files.socket}`);
  // SIGUSR1: compact (lab/kube-api-server.ts): every client's watch expires (410) and it
  // lists again, as after an apiserver's storage compaction.
  const compact = () => {
    say('compacting: every watch ends, and a watch from a version before now answers 410');
    server.compact();
  };
  process.on('SIGUSR1', compact);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  process.off('SIGUSR1', compact);
  await server.close();
  rmSync(files.socket, { force: true });
  rmSync(files.url, { force: true });
}

/** Inside the node's namespace, 127.0.0.1:6443 forwarded to the endpoint's unix socket;
 *  waits until it listens. Its kubeconfig names that address. `record`: as for
 *  startApiServer. */
export function startBridge(p: LabPaths, node: LabNode, kube: LabKube, record: () => void): void {
  const files = nodeFiles(p, node.name);
  mkdirSync(nodeDir(p, node.name), { recursive: true });
  writeFileSync(files.kubeconfig, kubeconfigText(NODE_API_URL, apiToken(p), 'podnet-lab'), { mode: 0o600 });
  const child = spawn(
    'nsenter',
    [
      `--net=/run/netns/${node.netns}`,
      '--',
      'socat',
      `TCP-LISTEN:${NODE_API_PORT},bind=127.0.0.1,fork,reuseaddr`,
      `UNIX-CONNECT:${kubeFiles(p).socket}`,
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  kube.bridges[node.name] = recordProcess(child.pid!);
  record();
  for (let i = 0; i < 100; i++) {
    const r = spawnSync('ss', ['-N', node.netns, '-Htln', `sport = :${NODE_API_PORT}`], { encoding: 'utf8' });
    if (r.stdout.trim()) return;
    if (!stillRunning(kube.bridges[node.name])) break;
    sleepSync(50);
  }
  throw new LabError(`the API bridge in ${node.netns} (socat on 127.0.0.1:${NODE_API_PORT}) did not start`);
}

/** Stops the endpoint and the bridges (after the agents: their watches end first). */
export function stopKube(kube: LabKube | undefined, stop: (procs: ProcessRecord[]) => void): void {
  if (!kube) return;
  stop([...Object.values(kube.bridges), ...(kube.api ? [kube.api] : [])]);
}

export function removeKubeFiles(p: LabPaths): void {
  for (const f of Object.values(kubeFiles(p))) rmSync(f, { force: true });
}

// ---- the lab's writes, over the unix socket ----

interface KubeStatus {
  message?: string;
}

async function apiCall(p: LabPaths, method: string, path: string, body?: unknown): Promise<unknown> {
  const token = apiToken(p);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { code, text } = await new Promise<{ code: number; text: string }>((resolve, reject) => {
    const req = request(
      {
        socketPath: kubeFiles(p).socket,
        path,
        method,
        timeout: 10_000,
        headers: {
          Authorization: `Bearer ${token}`,
          ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', (e) =>
      reject(new LabError(`the lab's API endpoint did not answer ${method} ${path}: ${e.message}`)),
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.end(payload);
  });
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON: said below */
  }
  if (code < 200 || code > 299)
    throw new LabError(
      `the lab's API endpoint answered ${code} to ${method} ${path}: ${(parsed as KubeStatus | null)?.message ?? text}`,
    );
  return parsed;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The Node as the kubelet registers it (and the controller manager and the kubelet
 *  update it): "registered" — NotReady, no podCIDR yet; "allocated" — the podCIDR given;
 *  "ready" — the network is up. */
export function labNodeObject(node: LabNode, stage: 'registered' | 'allocated' | 'ready'): unknown {
  const ready = stage === 'ready';
  return {
    kind: 'Node',
    apiVersion: 'v1',
    metadata: {
      name: node.name,
      labels: { 'kubernetes.io/hostname': node.name, 'kubernetes.io/os': 'linux', 'podnet.dev/lab': 'true' },
    },
    spec: stage === 'registered' ? {} : { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR] },
    status: {
      addresses: [
        { type: 'InternalIP', address: node.ip },
        { type: 'Hostname', address: node.name },
      ],
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          reason: ready ? 'KubeletReady' : 'KubeletNotReady',
          message: ready
            ? 'kubelet is posting ready status'
            : 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
          lastHeartbeatTime: now(),
          lastTransitionTime: now(),
        },
      ],
    },
  };
}

export function labPodObject(pod: LabPod, node: LabNode): unknown {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: pod.name, namespace: pod.namespace, labels: { 'podnet.dev/lab': 'true' } },
    spec: { nodeName: node.name, containers: [{ name: 'main', image: 'podnet-lab-pod' }] },
    status: {
      phase: 'Running',
      hostIP: node.ip,
      ...(pod.ip ? { podIP: pod.ip, podIPs: [{ ip: pod.ip }] } : {}),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now() }],
    },
  };
}

const nodePath = (name: string) => `/api/v1/nodes/${encodeURIComponent(name)}`;
const podPath = (pod: LabPod) =>
  `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;

export const registerNode = (p: LabPaths, node: LabNode) =>
  apiCall(p, 'POST', '/api/v1/nodes', labNodeObject(node, 'registered'));
export const updateNode = (p: LabPaths, node: LabNode, stage: 'allocated' | 'ready') =>
  apiCall(p, 'PUT', nodePath(node.name), labNodeObject(node, stage));
export const deleteNode = (p: LabPaths, name: string) => apiCall(p, 'DELETE', nodePath(name));
export const createPod = (p: LabPaths, pod: LabPod, node: LabNode) =>
  apiCall(p, 'POST', `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods`, labPodObject(pod, node));
export const deletePod = (p: LabPaths, pod: LabPod) => apiCall(p, 'DELETE', podPath(pod));

/** After the endpoint restarted (its state is in memory): the lab's Nodes and Pods again. */
export async function seedApi(p: LabPaths, nodes: LabNode[], pods: LabPod[]): Promise<void> {
  for (const node of nodes) await apiCall(p, 'POST', '/api/v1/nodes', labNodeObject(node, 'ready'));
  for (const pod of pods) {
    const node = nodes.find((n) => n.name === pod.node);
    if (node) await createPod(p, pod, node);
  }
}

// ---- the DaemonSet's two programs, on a lab node ----

/** What the lab changes in the DaemonSet's command lines, and why. */
function nodeEnv(node: LabNode): Record<string, string> {
  return { NODE_NAME: node.name, CLUSTER_NETWORK, UPLINK: 'auto', AGENT_PORT: '9650' };
}

export function labInstallArgs(p: LabPaths, node: LabNode): string[] {
  const files = nodeFiles(p, node.name);
  const dir = nodeDir(p, node.name);
  return labArgs(DAEMONSET_INSTALL_ARGS, {
    env: nodeEnv(node),
    set: {
      // The nodes share this machine's disk: each its own plugin and config directories.
      'bin-dir': files.bin,
      'conf-dir': files.conf,
      'agent-socket': join(dir, 'cni.sock'),
      // This machine has Node.js: no runtime copied beside each node's plugins.
      'node-runtime': null,
    },
    // The API through the node's bridge; each node its own plugin state and leases.
    add: ['--kubeconfig', files.kubeconfig, '--state-dir', dir, '--data-dir', join(dir, 'ipam')],
  });
}

export function labAgentArgs(p: LabPaths, node: LabNode, socket: string, verifier: string): string[] {
  const files = nodeFiles(p, node.name);
  return labArgs(DAEMONSET_AGENT_ARGS, {
    env: nodeEnv(node),
    set: {
      // A unix socket the dashboard reaches from this machine (--agent-socket-dir): no
      // traffic from the root namespace into the lab, and so no TLS.
      listen: `unix:${socket}`,
      'tls-cert': null,
      'tls-key': null,
      'token-file': verifier,
      conflist: files.conflist,
      'cni-socket': join(nodeDir(p, node.name), 'cni.sock'),
    },
    add: ['--kubeconfig', files.kubeconfig],
  });
}

/** Runs the install step in the node's namespace; resolves when it has written the
 *  conflist. Its output (the waiting for a podCIDR among it) goes to the node's install.log. */
export function runInstall(p: LabPaths, node: LabNode): Promise<void> {
  const files = nodeFiles(p, node.name);
  const log = openSync(files.installLog, 'a');
  const child = spawn(
    'nsenter',
    [`--net=/run/netns/${node.netns}`, '--', ...podnetCommand(), ...labInstallArgs(p, node)],
    { stdio: ['ignore', log, log], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
  closeSync(log);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new LabError(`the install step of ${node.name} did not start: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else
        reject(
          new LabError(`the install step of ${node.name} failed (${code}): ${tail(files.installLog) || 'no output'}`),
        );
    });
  });
}

/** A node joins as on a cluster: its bridge to the API, the kubelet's Node (NotReady, no
 *  podCIDR), the install step started (it waits for the podCIDR, saying so), the podCIDR
 *  given, and the install step's conflist written. The agent and Ready come after. */
export async function joinNode(p: LabPaths, node: LabNode, kube: LabKube, record: () => void): Promise<void> {
  startBridge(p, node, kube, record);
  await registerNode(p, node);
  const installed = runInstall(p, node);
  // The controller manager allocates a little later: the install step is seen waiting.
  await waitForLine(nodeFiles(p, node.name).installLog, /to get a podCIDR/, installed);
  await updateNode(p, node, 'allocated');
  await installed;
}

/** Waits until `file` has a line matching `re`, or `done` settles (whichever is first). */
async function waitForLine(file: string, re: RegExp, done: Promise<void>): Promise<void> {
  let settled = false;
  done.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = Date.now() + 20_000;
  while (!settled && Date.now() < deadline) {
    if (existsSync(file) && re.test(readFileSync(file, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The lab files the Kubernetes parts use, for teardown. */
export const kubeLabFiles = (p: LabPaths) => [...Object.values(kubeFiles(p)), labFiles(p).nodes];
