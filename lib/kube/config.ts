// A kubeconfig, loaded the way kubectl finds one (a file given, $KUBECONFIG,
// ~/.kube/config, or the pod's service account), with errors that say what to do.
//
// This module does not import @kubernetes/client-node: the agent's CLI imports it for
// KubeConfigError alone, and the client's ~1,000 modules would be a third of the agent's
// memory. The class comes from the modules that make requests with it (lib/kube/watch.ts,
// lib/kube/secrets.ts), which every caller of loadKubeConfig imports to use what it returns.
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {}

let KubeConfigClass: typeof KubeConfig | null = null;

/** Hands this module the client's KubeConfig class (lib/kube/watch.ts, secrets.ts). */
export function provideKubeConfig(c: typeof KubeConfig): void {
  KubeConfigClass = c;
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  if (!KubeConfigClass)
    throw new Error(
      'lib/kube/config.ts: the Kubernetes client is not loaded: import lib/kube/watch.js or lib/kube/secrets.js before calling loadKubeConfig',
    );
  const kc = new KubeConfigClass();
  try {
    if (path) kc.loadFromFile(path);
    else kc.loadFromDefault();
  } catch (err) {
    const where = path ?? process.env.KUBECONFIG ?? '~/.kube/config';
    throw new KubeConfigError(
      `cannot load the kubeconfig ${where}: ${(err as Error).message}. Pass a readable kubeconfig file, or run it in a pod with a service account.`,
      { cause: err },
    );
  }
  // loadFromDefault's last resort is http://localhost:8080, which never is a cluster today
  if (!path && kc.getCurrentContext() === 'loaded-context') {
    throw new KubeConfigError(
      'no kubeconfig found: $KUBECONFIG is unset, ~/.kube/config does not exist and this is not a pod with a service account. Pass --kubeconfig FILE or set KUBECONFIG.',
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new KubeConfigError(
      `the kubeconfig ${path ?? '(default)'} has no cluster for its current context "${kc.getCurrentContext()}": set current-context to a context whose cluster exists (kubectl config use-context NAME).`,
    );
  }
  return kc;
}
