// podnet agent: the node agent, in the foreground.
import { spawn } from 'node:child_process';
import { flag, str } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { ConfigError } from '../../agent/config.js';

/** Runs this same command again inside the namespace (Node cannot setns itself). */
function reexecIn(netns: string, argv: string[]): Promise<number> {
  const rest = argv.filter((a, i) => a !== '--netns' && argv[i - 1] !== '--netns' && !a.startsWith('--netns='));
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, '--', process.execPath, ...process.execArgv, process.argv[1]!, 'agent', ...rest], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1))));
}

export const agent: Command = {
  path: ['agent'],
  summary: "run the node agent: live network state, host-gw routes, probes",
  usage: 'podnet agent --node NAME [--netns NS] [--listen unix:PATH|HOST:PORT] [--token-file F] [--conflist FILE] [--lab-inventory FILE | --kubernetes [--kubeconfig F] [--cluster-network CIDR] [--uplink IF]] [--cni-socket PATH]',
  description:
    "Reads the node's network from the kernel (links, addresses, routes, neighbours, the pods behind the veths, the firewall " +
    'facts), keeps it current from the kernel\'s notifications, and serves GET /v1/snapshot, GET /v1/events (server-sent ' +
    'events), POST /v1/probe, GET /metrics and GET /healthz. Every route but /healthz needs "Authorization: Bearer <token>". ' +
    'In host-gw mode it owns the routes to the other nodes\' pod subnets (marked proto 151) and puts back any that go missing. ' +
    'It runs until SIGINT or SIGTERM.',
  options: [
    { name: 'node', value: 'NAME', help: 'this node\'s name' },
    { name: 'netns', value: 'NS', help: 'run inside this named network namespace (the lab\'s nodes)' },
    { name: 'listen', value: 'ADDR', help: 'unix:PATH or HOST:PORT', default: '0.0.0.0:9650' },
    { name: 'token-file', value: 'FILE', help: 'the bearer token clients must send (required on TCP)' },
    { name: 'conflist', value: 'FILE', help: "the node's podnet conflist (bridge, pod subnet, plugin state)", default: '/etc/cni/net.d/10-podnet.conflist' },
    { name: 'lab-inventory', value: 'FILE', help: 'learn the other nodes from a lab inventory (lab.json)' },
    { name: 'kubernetes', help: "learn the other nodes from the Kubernetes API's Nodes (host-gw routes to each podCIDR via its InternalIP)" },
    { name: 'kubeconfig', value: 'FILE', help: 'with --kubernetes: the kubeconfig (default: $KUBECONFIG, ~/.kube/config, or the pod\'s service account)' },
    { name: 'cluster-network', value: 'CIDR', help: 'with --kubernetes: the cluster\'s pod network, for the firewall findings' },
    { name: 'uplink', value: 'IF', help: 'with --kubernetes: the interface the other nodes are reached through', default: 'eth0' },
    { name: 'cni-socket', value: 'PATH', help: "serve the CNI fast path here (the conflist's agentSocket)" },
    { name: 'no-reconcile', help: 'report routes but do not change them' },
  ],
  reports: false,
  async run(args, io) {
    const node = str(args, 'node');
    if (!node) throw new CommandError('--node NAME is required', 2);
    const netns = str(args, 'netns');
    if (netns) return reexecIn(netns, process.argv.slice(3));
    const listenOn = str(args, 'listen')!;
    if (flag(args, 'kubernetes') && str(args, 'lab-inventory')) throw new CommandError('--kubernetes and --lab-inventory both say where the other nodes come from: give one', 2);
    const tokenFile = str(args, 'token-file') ?? null;
    if (!listenOn.startsWith('unix:') && !tokenFile) throw new CommandError('refusing to serve on TCP without --token-file: anyone could read this node\'s network', 2);
    // Loaded here, not at the top: the Kubernetes client alone takes over a second to
    // import, and every other command of bin/podnet would pay for it.
    const [{ startAgent }, { KubeConfigError }] = await Promise.all([import('../../agent/agent.js'), import('../../lib/kube/config.js')]);
    let running;
    try {
      running = await startAgent({
        node,
        conflist: str(args, 'conflist') ?? null,
        labInventory: str(args, 'lab-inventory') ?? null,
        kubernetes: flag(args, 'kubernetes') ? { kubeconfig: str(args, 'kubeconfig'), clusterNetwork: str(args, 'cluster-network') ?? null, uplink: str(args, 'uplink')! } : null,
        listen: listenOn,
        tokenFile,
        reconcile: !flag(args, 'no-reconcile'),
        cniSocket: str(args, 'cni-socket') ?? null,
      });
    } catch (e) {
      if (e instanceof ConfigError || e instanceof KubeConfigError || (e as NodeJS.ErrnoException).code) throw new CommandError((e as Error).message);
      throw e;
    }
    await new Promise<void>((resolve) => {
      const stop = () => void running.stop().then(resolve);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.err(`podnet agent: ${node} stopped`);
  },
};
