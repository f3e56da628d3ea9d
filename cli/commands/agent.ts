// podnet agent: the node agent, in the foreground; podnet agent verifier. The table's
// entries only: the runs are ./agent-run.ts and ./agent-verifier-run.ts, loaded when one runs.
import { lazyRun, type Command } from '../command.js';

export const agent: Command = {
  path: ['agent'],
  summary: 'run the node agent: live network state, host-gw routes, probes',
  usage:
    'podnet agent --node NAME [--netns NS] [--listen unix:PATH|HOST:PORT] [--token-file F] [--tls-cert F --tls-key F | --plain-http] [--conflist FILE] [--lab-inventory FILE | --kubernetes [--kubeconfig F] [--cluster-network CIDR] [--uplink IF]] [--cni-socket PATH]',
  description:
    "Reads the node's network from the kernel (links, addresses, routes, neighbours, the pods behind the veths, the firewall " +
    "facts), keeps it current from the kernel's notifications, and serves GET /v1/snapshot, GET /v1/events (server-sent " +
    'events), POST /v1/probe, GET /metrics and GET /healthz. Every route but /healthz needs "Authorization: Bearer <token>"; ' +
    'the token file may hold only its verifier (see "podnet agent verifier"), so this node\'s disk gives no key to the others. ' +
    'On TCP it serves TLS with --tls-cert and --tls-key (re-read when they change), or plain HTTP only with --plain-http. ' +
    "In host-gw mode it owns the routes to the other nodes' pod subnets (marked proto 151) and puts back any that go missing. " +
    'It runs until SIGINT or SIGTERM.',
  options: [
    { name: 'node', value: 'NAME', help: "this node's name" },
    { name: 'netns', value: 'NS', help: "run inside this named network namespace (the lab's nodes)" },
    { name: 'listen', value: 'ADDR', help: 'unix:PATH or HOST:PORT', default: '0.0.0.0:9650' },
    {
      name: 'token-file',
      value: 'FILE',
      help: 'the bearer token clients must send, or its verifier "sha256:HEX" (required on TCP)',
    },
    {
      name: 'tls-cert',
      value: 'FILE',
      help: 'on TCP: the certificate to serve (PEM; the dashboard verifies it, by default for the name podnet-agent)',
    },
    { name: 'tls-key', value: 'FILE', help: 'on TCP: its private key (PEM)' },
    { name: 'plain-http', help: 'on TCP: serve without TLS (the token crosses the network in clear text)' },
    {
      name: 'conflist',
      value: 'FILE',
      help: "the node's podnet conflist (bridge, pod subnet, plugin state)",
      default: '/etc/cni/net.d/10-podnet.conflist',
    },
    { name: 'lab-inventory', value: 'FILE', help: 'learn the other nodes from a lab inventory (lab.json)' },
    {
      name: 'kubernetes',
      help: "learn the other nodes from the Kubernetes API's Nodes (host-gw routes to each podCIDR via its InternalIP)",
    },
    {
      name: 'kubeconfig',
      value: 'FILE',
      help: "with --kubernetes: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)",
    },
    {
      name: 'cluster-network',
      value: 'CIDR',
      help: "with --kubernetes: the cluster's pod network, for the firewall findings",
    },
    {
      name: 'uplink',
      value: 'IF',
      help: "with --kubernetes: the interface the other nodes are reached through; auto: the one holding this node's InternalIP",
      default: 'auto',
    },
    { name: 'cni-socket', value: 'PATH', help: "serve the CNI fast path here (the conflist's agentSocket)" },
    { name: 'no-reconcile', help: 'report routes but do not change them' },
  ],
  reports: false,
  run: lazyRun(
    () => import('./agent-run.js'),
    (m) => m.runAgent,
  ),
};

export const agentVerifier: Command = {
  path: ['agent', 'verifier'],
  summary: "print the verifier of the agents' token: what agents hold instead of the token",
  usage: 'podnet agent verifier [--token-file F] [--json]',
  description:
    'Reads the agents\' bearer token from --token-file (or standard input) and prints "sha256:HEX", its SHA-256. Agents given ' +
    "a file holding that (--token-file) accept the token without holding it: a node's disk then gives nobody the key that " +
    'commands the other agents. The dashboard and scripts keep the token itself.',
  options: [{ name: 'token-file', value: 'FILE', help: 'the file holding the token (default: standard input)' }],
  reports: true,
  run: lazyRun(
    () => import('./agent-verifier-run.js'),
    (m) => m.runAgentVerifier,
  ),
};
