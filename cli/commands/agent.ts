// podnet agent: the node agent, in the foreground.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { flag, str } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { ConfigError } from '../../agent/config.js';
import { CredentialError, verifierOf } from '../../agent/credentials.js';

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
  usage: 'podnet agent --node NAME [--netns NS] [--listen unix:PATH|HOST:PORT] [--token-file F] [--tls-cert F --tls-key F | --plain-http] [--conflist FILE] [--lab-inventory FILE | --kubernetes [--kubeconfig F] [--cluster-network CIDR] [--uplink IF]] [--cni-socket PATH]',
  description:
    "Reads the node's network from the kernel (links, addresses, routes, neighbours, the pods behind the veths, the firewall " +
    'facts), keeps it current from the kernel\'s notifications, and serves GET /v1/snapshot, GET /v1/events (server-sent ' +
    'events), POST /v1/probe, GET /metrics and GET /healthz. Every route but /healthz needs "Authorization: Bearer <token>"; ' +
    'the token file may hold only its verifier (see "podnet agent verifier"), so this node\'s disk gives no key to the others. ' +
    'On TCP it serves TLS with --tls-cert and --tls-key (re-read when they change), or plain HTTP only with --plain-http. ' +
    'In host-gw mode it owns the routes to the other nodes\' pod subnets (marked proto 151) and puts back any that go missing. ' +
    'It runs until SIGINT or SIGTERM.',
  options: [
    { name: 'node', value: 'NAME', help: 'this node\'s name' },
    { name: 'netns', value: 'NS', help: 'run inside this named network namespace (the lab\'s nodes)' },
    { name: 'listen', value: 'ADDR', help: 'unix:PATH or HOST:PORT', default: '0.0.0.0:9650' },
    { name: 'token-file', value: 'FILE', help: 'the bearer token clients must send, or its verifier "sha256:HEX" (required on TCP)' },
    { name: 'tls-cert', value: 'FILE', help: 'on TCP: the certificate to serve (PEM; the dashboard verifies it, by default for the name podnet-agent)' },
    { name: 'tls-key', value: 'FILE', help: 'on TCP: its private key (PEM)' },
    { name: 'plain-http', help: 'on TCP: serve without TLS (the token crosses the network in clear text)' },
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
    const onTcp = !listenOn.startsWith('unix:');
    if (onTcp && !tokenFile) throw new CommandError('refusing to serve on TCP without --token-file: anyone could read this node\'s network', 2);
    const [cert, key] = [str(args, 'tls-cert'), str(args, 'tls-key')];
    if ((cert === undefined) !== (key === undefined)) throw new CommandError('--tls-cert and --tls-key go together', 2);
    if (!onTcp && cert) throw new CommandError('--tls-cert is for TCP: a unix socket is reached only by root on this machine and needs no TLS', 2);
    if (onTcp && !cert && !flag(args, 'plain-http')) {
      throw new CommandError('refusing to serve on TCP without TLS: give --tls-cert and --tls-key (or --plain-http, and the token crosses the network in clear text)', 2);
    }
    if (cert && flag(args, 'plain-http')) throw new CommandError('--plain-http and --tls-cert contradict each other: choose one', 2);
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
        tls: cert && key ? { cert, key } : null,
        reconcile: !flag(args, 'no-reconcile'),
        cniSocket: str(args, 'cni-socket') ?? null,
      });
    } catch (e) {
      if (e instanceof ConfigError || e instanceof KubeConfigError || e instanceof CredentialError || (e as NodeJS.ErrnoException).code) throw new CommandError((e as Error).message);
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

export const agentVerifier: Command = {
  path: ['agent', 'verifier'],
  summary: "print the verifier of the agents' token: what agents hold instead of the token",
  usage: 'podnet agent verifier [--token-file F] [--json]',
  description:
    'Reads the agents\' bearer token from --token-file (or standard input) and prints "sha256:HEX", its SHA-256. Agents given ' +
    'a file holding that (--token-file) accept the token without holding it: a node\'s disk then gives nobody the key that ' +
    'commands the other agents. The dashboard and scripts keep the token itself.',
  options: [{ name: 'token-file', value: 'FILE', help: 'the file holding the token (default: standard input)' }],
  reports: true,
  run(args, io) {
    const file = str(args, 'token-file');
    let token: string;
    try {
      token = readFileSync(file ?? 0, 'utf8').trim();
    } catch (e) {
      throw new CommandError(`cannot read the token: ${(e as Error).message}`, 2);
    }
    if (token.length < 16) throw new CommandError('the token is shorter than 16 characters', 2);
    if (token.startsWith('sha256:')) throw new CommandError('that is already a verifier (sha256:…), not a token', 2);
    const verifier = verifierOf(token);
    io.out(io.json ? JSON.stringify({ verifier }) : verifier);
  },
};
