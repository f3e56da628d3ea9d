// The run of podnet deploy secrets (its table entry is ./deploy.ts).
import { readFileSync } from 'node:fs';
import { str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { loadKubeConfig, KubeConfigError } from '../../lib/kube/config.js';
import { DEFAULT_NAMESPACE, ensurePodnetSecrets, SecretsRefused } from '../../lib/kube/podnet-secrets.js';
import { KubeSecretStore, SecretsApiError } from '../../lib/kube/secrets.js';
import { PkiError } from '../../lib/pki.js';
import { K8S_NAMESPACE } from '../../lib/model/lab.js';

/** Where a pod's service account mounts its namespace's name. */
const POD_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(): string | null {
  try {
    const ns = readFileSync(POD_NAMESPACE_FILE, 'utf8').trim();
    return K8S_NAMESPACE.test(ns) ? ns : null;
  } catch {
    return null;
  }
}

export const runDeploySecrets: Run = async (args, io) => {
  const namespace = str(args, 'namespace') ?? podNamespace() ?? DEFAULT_NAMESPACE;
  if (!K8S_NAMESPACE.test(namespace))
    throw new CommandError(`--namespace "${namespace}" is not a Kubernetes namespace name (lower-case DNS label)`, 2);
  let report;
  try {
    const store = new KubeSecretStore(loadKubeConfig(str(args, 'kubeconfig')), namespace);
    report = await ensurePodnetSecrets(store);
  } catch (e) {
    if (e instanceof KubeConfigError) throw new CommandError(e.message, 2);
    if (e instanceof SecretsRefused || e instanceof SecretsApiError || e instanceof PkiError)
      throw new CommandError(e.message, 1);
    throw e;
  }
  if (io.json) return io.out(JSON.stringify(report));
  for (const name of report.created) io.out(`created secret ${namespace}/${name}`);
  for (const name of report.present) io.out(`kept secret ${namespace}/${name} (already there)`);
};
