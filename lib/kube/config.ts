// A kubeconfig, loaded the way kubectl finds one (a file given, $KUBECONFIG,
// ~/.kube/config, or the pod's service account), with errors that say what to do.
import { KubeConfig } from '@kubernetes/client-node';

export class KubeConfigError extends Error {}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
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
