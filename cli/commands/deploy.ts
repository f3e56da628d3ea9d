// podnet deploy secrets. The table's entry only: the run is ./deploy-run.ts, loaded when
// it runs.
import { lazyRun, type Command } from '../command.js';

export const deploySecrets: Command = {
  path: ['deploy', 'secrets'],
  summary: "create the Secrets podnet's pods mount on a cluster (the podnet-setup Job runs it)",
  usage: 'podnet deploy secrets [--namespace NS] [--kubeconfig FILE] [--json]',
  description:
    "Creates, through the Kubernetes API, the Secrets that are absent: podnet-agent-token (the agents' bearer token, for " +
    "the dashboard), podnet-agent-verifier (its verifier, for the agents), podnet-agent-tls (the agents' certificate " +
    'for the name podnet-agent) and podnet-agent-ca (the CA that signed it, made for this: its private key is not ' +
    'kept), podnet-dashboard-key (the sign-in key). It never overwrites one, so running it again is safe and changes ' +
    'nothing. A token without its verifier, or a certificate without its CA (or either way round), is refused, naming ' +
    "the Secret to delete. To renew the agents' credentials, delete podnet-agent-token, podnet-agent-verifier, " +
    'podnet-agent-tls and podnet-agent-ca, run this again (re-run the podnet-setup Job), then restart the agents and the ' +
    "dashboard. Needs get and create on secrets in the namespace, and the openssl command. Namespace: the pod's own " +
    "(its service account's namespace file) when run in a pod, else podnet-system.",
  options: [
    { name: 'namespace', value: 'NS', help: "where the Secrets go (default: the pod's namespace, else podnet-system)" },
    {
      name: 'kubeconfig',
      value: 'FILE',
      help: "the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)",
    },
  ],
  reports: true,
  run: lazyRun(
    () => import('./deploy-run.js'),
    (m) => m.runDeploySecrets,
  ),
};
