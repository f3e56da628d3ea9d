// The podnet-node DaemonSet's command lines (deploy/node-daemonset.yaml), as the lab's
// Kubernetes-shaped nodes run them: the same arguments, with the host paths of one node of
// the lab in place of the container's, and the few changes a lab needs, each said below.
// deploy/deploy.test.ts checks these lists equal the manifest's, so the two cannot drift.

/** The init container's args (install-cni). */
export const DAEMONSET_INSTALL_ARGS: readonly string[] = [
  'cni',
  'install',
  '--kubernetes',
  '--node',
  '$(NODE_NAME)',
  '--bin-dir',
  '/host/opt/cni/bin',
  '--conf-dir',
  '/host/etc/cni/net.d',
  '--cluster-network',
  '$(CLUSTER_NETWORK)',
  '--agent-socket',
  '/run/podnet/cni.sock',
  '--node-runtime',
];

/** The agent container's args. */
export const DAEMONSET_AGENT_ARGS: readonly string[] = [
  'agent',
  '--node',
  '$(NODE_NAME)',
  '--kubernetes',
  '--listen',
  '0.0.0.0:$(AGENT_PORT)',
  '--token-file',
  '/etc/podnet/agent-verifier/verifier',
  '--tls-cert',
  '/etc/podnet/agent-tls/tls.crt',
  '--tls-key',
  '/etc/podnet/agent-tls/tls.key',
  '--conflist',
  '/etc/cni/net.d/10-podnet.conflist',
  '--cluster-network',
  '$(CLUSTER_NETWORK)',
  '--uplink',
  '$(UPLINK)',
  '--cni-socket',
  '/run/podnet/cni.sock',
];

/** What a lab node changes in a command line: a flag's new value, or null to drop the
 *  flag (and its value, when it has one); then flags added at the end. */
export interface ArgChanges {
  env: Record<string, string>;
  set: Record<string, string | null>;
  add: string[];
}

/** The DaemonSet's `args` with $(VAR)s expanded from `env` (as the kubelet does) and the
 *  lab's changes applied. A flag named in `set` that the list does not hold is an error:
 *  the manifest changed under the lab. */
export function labArgs(template: readonly string[], changes: ArgChanges): string[] {
  const expand = (a: string) =>
    a.replace(/\$\(([A-Z_]+)\)/g, (whole, name: string) => {
      const v = changes.env[name];
      if (v === undefined) throw new Error(`the DaemonSet's argument ${a} needs ${name}, which the lab does not set`);
      return v;
    });
  const out: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < template.length; i++) {
    const arg = template[i]!;
    const flag = arg.startsWith('--') ? arg.slice(2) : null;
    const hasValue = flag !== null && i + 1 < template.length && !template[i + 1]!.startsWith('--');
    if (flag !== null && flag in changes.set) {
      seen.add(flag);
      const value = changes.set[flag];
      if (hasValue) i++;
      if (value === null) continue;
      out.push(arg, value!);
      continue;
    }
    out.push(expand(arg));
  }
  const missing = Object.keys(changes.set).filter((f) => !seen.has(f));
  if (missing.length) throw new Error(`the DaemonSet's args have no --${missing.join(', --')} for the lab to change`);
  return [...out, ...changes.add];
}
