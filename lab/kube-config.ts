// A kubeconfig for the lab's API endpoint (lab/kube-api-server.ts): what the lab's nodes
// (the install step, the agents) and its dashboard are given, and the tests' too.
// Plain http needs `insecure-skip-tls-verify: true`: @kubernetes/client-node refuses http
// without it. Values are JSON-quoted (valid YAML), so no token or URL can break the file.
export function kubeconfigText(url: string, token: string, context: string): string {
  const q = JSON.stringify;
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${q(context)}`,
    '  cluster:',
    `    server: ${q(url)}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    `- name: ${q(context)}`,
    '  user:',
    `    token: ${q(token)}`,
    'contexts:',
    `- name: ${q(context)}`,
    '  context:',
    `    cluster: ${q(context)}`,
    `    user: ${q(context)}`,
    `current-context: ${q(context)}`,
    '',
  ].join('\n');
}
