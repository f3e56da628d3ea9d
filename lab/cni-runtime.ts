// Invokes a conflist the way a container runtime (libcni) does: each plugin in order for
// ADD with the previous plugin's result as prevResult, in reverse for DEL; CNI_* in the
// environment, the plugin's config on stdin, run inside the node's network namespace.
import { spawn } from 'node:child_process';
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
    super(
      `${plugin} ${verb} failed: ${body?.msg ?? (stderr.trim() || 'no error message')}${body?.code ? ` (CNI error ${body.code})` : ''}`,
    );
  }
}

function invoke(
  verb: 'ADD' | 'DEL' | 'CHECK',
  plugin: Record<string, unknown>,
  list: Conflist,
  a: Attach,
  prevResult?: CniResult,
): Promise<CniResult | null> {
  const type = String(plugin.type);
  const file = a.cniPath.map((d) => join(d, type)).find((f) => existsSync(f));
  if (!file)
    return Promise.reject(
      new CniInvocationError(type, verb, { msg: `plugin ${type} not found in ${a.cniPath.join(':')}` }, ''),
    );
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
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', [`--net=${a.nodeNetns}`, '--', file], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new CniInvocationError(type, verb, { msg: e.message }, '')));
    child.on('close', (code) => {
      let body: unknown = null;
      try {
        body = stdout.trim() ? JSON.parse(stdout) : null;
      } catch {
        body = null;
      }
      if (code !== 0) reject(new CniInvocationError(type, verb, body as { msg?: string } | null, stderr));
      else resolve(body as CniResult | null);
    });
    child.stdin.end(JSON.stringify(config));
  });
}

export async function addNetwork(list: Conflist, a: Attach): Promise<CniResult> {
  let prev: CniResult | undefined;
  for (const plugin of list.plugins) prev = (await invoke('ADD', plugin, list, a, prev)) ?? prev;
  if (!prev) throw new CniInvocationError(list.name, 'ADD', { msg: 'the conflist produced no result' }, '');
  return prev;
}

export async function delNetwork(list: Conflist, a: Attach): Promise<void> {
  for (const plugin of [...list.plugins].reverse()) await invoke('DEL', plugin, list, a);
}
