// podnet cni install | uninstall. The table's entries only: the runs are ./cni-run.ts,
// loaded when one runs.
import { lazyRun, type Command } from '../command.js';
import { DEFAULT_BRIDGE, DEFAULT_DATA_DIR, DEFAULT_NETWORK_NAME, DEFAULT_STATE_DIR } from '../../lib/model/cni.js';

const cniRun = () => import('./cni-run.js');

export const cniInstall: Command = {
  path: ['cni', 'install'],
  summary: 'install the podnet and podnet-ipam plugins (and optionally a conflist)',
  usage:
    'podnet cni install --bin-dir DIR [--conf-dir DIR (--subnet CIDR | --kubernetes --node NAME [--kubeconfig F] [--timeout SECONDS]) [--cluster-network CIDR]] [--node-runtime] [--json]',
  description:
    "Writes the plugins into DIR, the way flannel's install-cni does: podnet (a small compiled shim that hands the verb to " +
    "the node agent over the conflist's agentSocket, and otherwise runs podnet-node itself), podnet-node (the plugin: one " +
    "bundled file run by this machine's node, its absolute path) and podnet-ipam. They read nothing from the environment " +
    'but the CNI variables. Without a C compiler the plugin is installed as podnet directly. With --conf-dir, also writes ' +
    "10-podnet.conflist (cniVersion 1.0.0) for the node's pod subnet: --subnet, or with --kubernetes the Node's " +
    'spec.podCIDR from the API, waiting (and saying why on stderr) until the node has one. With --node-runtime, the ' +
    'node binary running this is copied to DIR/podnet.d/node and the plugins run that copy: for a host without ' +
    "Node.js (a DaemonSet's init container). Replacing an installed plugin is atomic.",
  options: [
    { name: 'bin-dir', value: 'DIR', help: 'where the runtime looks for plugins (CNI_PATH)', default: '/opt/cni/bin' },
    { name: 'conf-dir', value: 'DIR', help: 'where the runtime reads network configs; omit to write none' },
    {
      name: 'subnet',
      value: 'CIDR',
      help: "this node's pod subnet, e.g. 10.244.1.0/24 (with --conf-dir, unless --kubernetes)",
    },
    {
      name: 'kubernetes',
      help: "with --conf-dir: take the pod subnet from the Node's spec.podCIDR in the Kubernetes API (needs --node)",
    },
    {
      name: 'node',
      value: 'NAME',
      help: "with --kubernetes: this node's name (in a pod: the downward API's spec.nodeName)",
    },
    {
      name: 'kubeconfig',
      value: 'FILE',
      help: "with --kubernetes: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the pod's service account)",
    },
    {
      name: 'timeout',
      value: 'SECONDS',
      help: 'with --kubernetes: how long to wait for the podCIDR (default: for ever, as an init container should; 0: do not wait)',
    },
    {
      name: 'node-runtime',
      help: 'copy this node binary into DIR/podnet.d/ and have the plugins run it (the host needs no Node.js)',
    },
    {
      name: 'cluster-network',
      value: 'CIDR',
      help: 'the cluster pod network, e.g. 10.244.0.0/16: traffic leaving it is masqueraded',
    },
    { name: 'network-name', value: 'NAME', help: 'the network name in the conflist', default: DEFAULT_NETWORK_NAME },
    { name: 'bridge', value: 'NAME', help: 'the node bridge', default: DEFAULT_BRIDGE },
    {
      name: 'state-dir',
      value: 'DIR',
      help: 'where the plugin records attachments and logs',
      default: DEFAULT_STATE_DIR,
    },
    { name: 'data-dir', value: 'DIR', help: 'where podnet-ipam keeps leases', default: DEFAULT_DATA_DIR },
    {
      name: 'agent-socket',
      value: 'PATH',
      help: "the node agent's CNI socket (podnet agent --cni-socket): the fast path",
    },
  ],
  reports: true,
  run: lazyRun(cniRun, (m) => m.runCniInstall),
};

export const cniUninstall: Command = {
  path: ['cni', 'uninstall'],
  summary: 'remove what podnet cni install wrote',
  usage: 'podnet cni uninstall [--bin-dir DIR] [--conf-dir DIR] [--json]',
  description:
    'Removes the podnet and podnet-ipam executables from DIR (only files podnet wrote), the node runtime in ' +
    "DIR/podnet.d/ and, with --conf-dir, podnet's conflist. Running it twice is fine.",
  options: [
    { name: 'bin-dir', value: 'DIR', help: 'the plugin directory', default: '/opt/cni/bin' },
    { name: 'conf-dir', value: 'DIR', help: 'the network config directory' },
  ],
  reports: true,
  run: lazyRun(cniRun, (m) => m.runCniUninstall),
};
