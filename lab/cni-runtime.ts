// Invokes a conflist the way a container runtime (libcni) does: each plugin in order for
// ADD with the previous plugin's result as prevResult, in reverse for DEL; CNI_* in the
// environment, the plugin's config on stdin, run inside the node's network namespace.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CniResult } from '../lib/model/cni.js';

export interface Conflist {
  cniVersion: string;
  name: string;
  plugins: Record<string, unknown>[];
}

export interface Attach {
  containerID: string;
  /** path of the pod's network namespace */
  netns: string;
  ifname: string;
  podNamespace: string;
  podName: string;
  /** directories holding the plugins (CNI_PATH) */
  cniPath: string[];
  /** path of the node's network namespace, where plugins run */
  nodeNetns: string;
}

export class CniInvocationError extends Error {
  constructor(
    readonly plugin: string,
    readonly verb: string,
    readonly body: { code?: number; msg?: string; details?: string } | null,
    stderr: string,
  ) {
    super(`${plugin} ${verb} failed: ${body?.msg ?? (stderr.trim() || 'no error message')}${body?.code ? ` (CNI error ${body.code})` : ''}`);
  }
}

function invoke(verb: 'ADD' | 'DEL' | 'CHECK', plugin: Record<string, unknown>, list: Conflist, a: Attach, prevResult?: CniResult): CniResult | null {
  const type = String(plugin.type);
  const file = a.cniPath.map((d) => join(d, type)).find((f) => existsSync(f));
  if (!file) throw new CniInvocationError(type, verb, { msg: `plugin ${type} not found in ${a.cniPath.join(':')}` }, '');
  const config = { ...plugin, cniVersion: list.cniVersion, name: list.name, ...(prevResult ? { prevResult } : {}) };
  const env = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    CNI_COMMAND: verb,
    CNI_CONTAINERID: a.containerID,
    CNI_NETNS: a.netns,
    CNI_IFNAME: a.ifname,
    CNI_PATH: a.cniPath.join(':'),
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${a.podNamespace};K8S_POD_NAME=${a.podName}`,
  };
  const r = spawnSync('nsenter', [`--net=${a.nodeNetns}`, '--', file], { input: JSON.stringify(config), encoding: 'utf8', env });
  let body: unknown = null;
  try {
    body = r.stdout.trim() ? JSON.parse(r.stdout) : null;
  } catch {
    body = null;
  }
  if (r.status !== 0) throw new CniInvocationError(type, verb, body as { msg?: string } | null, r.stderr ?? '');
  return body as CniResult | null;
}

export function addNetwork(list: Conflist, a: Attach): CniResult {
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) prev = invoke('ADD', plugin, list, a, prev) ?? prev;
  if (!prev) throw new CniInvocationError(list.name, 'ADD', { msg: 'the conflist produced no result' }, '');
  return prev;
}

export function delNetwork(list: Conflist, a: Attach): void {
  for (const plugin of [...list.plugins].reverse()) invoke('DEL', plugin, list, a);
}
