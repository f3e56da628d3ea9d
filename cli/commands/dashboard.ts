// podnet dashboard: the web dashboard in the foreground, for any cluster source — the
// lab, a real cluster through the Kubernetes API, or a generated one. `podnet up` runs
// the same thing for the lab. The table's entry only: the run is ./dashboard-run.ts,
// loaded when it runs.
import { lazyRun, type Command } from '../command.js';
import { AUTH_OPTIONS, HOST_OPTION, labIdOption, PORT_OPTION } from '../options.js';

export const dashboard: Command = {
  path: ['dashboard'],
  summary: 'run the web dashboard in the foreground (lab, kubernetes or synthetic source)',
  usage:
    'podnet dashboard [--source lab|kubernetes|synthetic] [--lab-id ID] [--kubeconfig F] [--agent-port N|off] [--agent-token-file F] [--agent-ca-file F | --agent-socket-dir DIR] [--agent-server-name NAME] [--synthetic NxP] [--token-file F | --no-auth] [--allowed-host NAMES] [--read-only] [--frame-ancestors ORIGINS] [--base-path /PATH] [--host ADDR] [--port PORT] [--json]',
  description:
    'Serves the live topology page. --source lab (default) shows a lab and its agents; --source kubernetes lists and watches ' +
    'Nodes and Pods through the Kubernetes API (kubeconfig from --kubeconfig, $KUBECONFIG, ~/.kube/config or in-cluster) and ' +
    "reads each node's agent at InternalIP:--agent-port (https with --agent-ca-file), or with --agent-socket-dir DIR on " +
    'the unix socket DIR/<node>/agent.sock (a lab whose agents run in network namespaces); --source synthetic draws a ' +
    'generated cluster of N nodes and P pods. ' +
    'The page is built first when the sources changed. The page asks for a key: one is made (a 0600 file, kept for the next ' +
    'start) unless --token-file names one or --no-auth turns it off, and the URL printed once carries it (?token=). ' +
    'Requests must address localhost, an IP address, --host or an --allowed-host name. --frame-ancestors ' +
    'lists the origins allowed to embed it (none by default); --base-path serves it under a sub-path of a portal (a build ' +
    'of its own, made on first use); --read-only turns probes off. Ctrl-C stops it.',
  options: [
    { name: 'source', value: 'SOURCE', help: 'lab, kubernetes or synthetic', default: 'lab' },
    labIdOption,
    { name: 'kubeconfig', value: 'FILE', help: 'kubernetes: the kubeconfig file' },
    {
      name: 'agent-port',
      value: 'N',
      help: 'kubernetes: agents\' port at each node\'s InternalIP, or "off"',
      default: '9650',
    },
    { name: 'agent-token-file', value: 'FILE', help: "kubernetes: file with the agents' bearer token" },
    { name: 'agent-ca-file', value: 'FILE', help: 'kubernetes: agents serve TLS; verify them with this CA (PEM)' },
    {
      name: 'agent-socket-dir',
      value: 'DIR',
      help: "kubernetes: node N's agent is on the unix socket DIR/N/agent.sock, not at InternalIP:--agent-port",
    },
    {
      name: 'agent-server-name',
      value: 'NAME',
      help: "kubernetes: the name in the agents' certificates",
      default: 'podnet-agent',
    },
    { name: 'synthetic', value: 'NxP', help: 'synthetic: nodes x pods', default: '3x6' },
    ...AUTH_OPTIONS,
    { name: 'read-only', help: 'turn probes off' },
    { name: 'frame-ancestors', value: 'ORIGINS', help: 'space-separated origins that may embed the page' },
    { name: 'base-path', value: '/PATH', help: 'serve under this sub-path, e.g. /tools/podnet' },
    HOST_OPTION,
    PORT_OPTION,
  ],
  reports: true,
  run: lazyRun(
    () => import('./dashboard-run.js'),
    (m) => m.runDashboard,
  ),
};
