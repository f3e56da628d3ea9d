// The run of podnet agent (its table entry is ./agent.ts): the checks of its options, then
// the agent itself, which is loaded only once they pass.
import { spawn } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { flag, str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { ConfigError } from '../../agent/config.js';
import { CredentialError } from '../../agent/credentials.js';

/** Runs this same command again inside the namespace (Node cannot setns itself). */
function reexecIn(netns: string, argv: string[]): Promise<number> {
  const rest = argv.filter((a, i) => a !== '--netns' && argv[i - 1] !== '--netns' && !a.startsWith('--netns='));
  const child = spawn(
    'nsenter',
    [`--net=/run/netns/${netns}`, '--', process.execPath, ...process.execArgv, process.argv[1]!, 'agent', ...rest],
    { stdio: 'inherit' },
  );
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + 15 : 1))));
}

/**
 * The main isolate's young generation stays at its first size (two 1 MB semi-spaces on a
 * 64-bit Node 20) instead of growing to V8's 16 MB semi-spaces, 32 MB of the agent's RSS
 * that a scavenge of its short-lived garbage (a collection's parsed dumps, a request)
 * never needs (bench/README.md, the agent's memory). `--max-semi-space-size` would say it
 * too but is read only when the isolate is made, i.e. on node's command line, which is
 * the launcher's (the DaemonSet's `podnet agent …`, the lab's podnetCommand); the growth
 * factor is read at each growth, so it takes effect from here. A size given on the
 * command line or in NODE_OPTIONS is left alone.
 */
export function keepYoungGenerationSmall(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  if (given.some((a) => /^--(max-|min-)?semi[-_]space/.test(a))) return;
  setFlagsFromString('--semi-space-growth-factor=1');
}

export const runAgent: Run = async (args, io) => {
  const node = str(args, 'node');
  if (!node) throw new CommandError('--node NAME is required', 2);
  const netns = str(args, 'netns');
  if (netns) return reexecIn(netns, process.argv.slice(3));
  const listenOn = str(args, 'listen')!;
  if (flag(args, 'kubernetes') && str(args, 'lab-inventory'))
    throw new CommandError('--kubernetes and --lab-inventory both say where the other nodes come from: give one', 2);
  const tokenFile = str(args, 'token-file') ?? null;
  const onTcp = !listenOn.startsWith('unix:');
  if (onTcp && !tokenFile)
    throw new CommandError("refusing to serve on TCP without --token-file: anyone could read this node's network", 2);
  const [cert, key] = [str(args, 'tls-cert'), str(args, 'tls-key')];
  if ((cert === undefined) !== (key === undefined)) throw new CommandError('--tls-cert and --tls-key go together', 2);
  if (!onTcp && cert)
    throw new CommandError(
      '--tls-cert is for TCP: a unix socket is reached only by root on this machine and needs no TLS',
      2,
    );
  if (onTcp && !cert && !flag(args, 'plain-http')) {
    throw new CommandError(
      'refusing to serve on TCP without TLS: give --tls-cert and --tls-key (or --plain-http, and the token crosses the network in clear text)',
      2,
    );
  }
  if (cert && flag(args, 'plain-http'))
    throw new CommandError('--plain-http and --tls-cert contradict each other: choose one', 2);
  // Loaded here, once the options hold: a mistyped option should not wait for the agent's
  // modules. With --kubernetes the agent reads its Nodes over node:http
  // (lib/kube/http-client.ts); @kubernetes/client-node (~1 s to import, ~80 MB of RSS) is
  // loaded only for a kubeconfig that needs it (exec plugins, auth providers: lib/kube/endpoint.ts).
  const kubernetes = flag(args, 'kubernetes');
  keepYoungGenerationSmall();
  const [{ startAgent }, KubeConfigError] = await Promise.all([
    import('../../agent/agent.js'),
    kubernetes ? import('../../lib/kube/config.js').then((m) => m.KubeConfigError) : null,
  ]);
  let running;
  try {
    running = await startAgent({
      node,
      conflist: str(args, 'conflist') ?? null,
      labInventory: str(args, 'lab-inventory') ?? null,
      kubernetes: kubernetes
        ? {
            kubeconfig: str(args, 'kubeconfig'),
            clusterNetwork: str(args, 'cluster-network') ?? null,
            uplink: str(args, 'uplink')!,
          }
        : null,
      listen: listenOn,
      tokenFile,
      tls: cert && key ? { cert, key } : null,
      reconcile: !flag(args, 'no-reconcile'),
      cniSocket: str(args, 'cni-socket') ?? null,
    });
  } catch (e) {
    const theirs =
      e instanceof ConfigError || (KubeConfigError && e instanceof KubeConfigError) || e instanceof CredentialError;
    if (theirs || (e as NodeJS.ErrnoException).code) throw new CommandError((e as Error).message);
    throw e;
  }
  await new Promise<void>((resolve) => {
    const stop = () => void running.stop().then(resolve);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  io.err(`podnet agent: ${node} stopped`);
};
