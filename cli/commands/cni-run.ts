// The runs of podnet cni install | uninstall (their table entries are ./cni.ts).
import { flag, str, type Parsed } from '../args.js';
import { CommandError, type CommandIo, type Run } from '../command.js';
import { install, uninstall, type InstallReport } from '../../cni/install.js';

export const runCniInstall: Run = async (args, io) => {
  const binDir = str(args, 'bin-dir')!;
  const confDir = str(args, 'conf-dir');
  const kubernetes = flag(args, 'kubernetes');
  let subnet = str(args, 'subnet');
  if (kubernetes && subnet)
    throw new CommandError(
      '--kubernetes and --subnet exclude each other: the subnet is either given or the API says',
      2,
    );
  if (kubernetes && !confDir)
    throw new CommandError("--kubernetes needs --conf-dir: the Node's podCIDR goes into the conflist written there", 2);
  if (!kubernetes) {
    for (const o of ['node', 'kubeconfig', 'timeout'])
      if (str(args, o) !== undefined) throw new CommandError(`--${o} goes with --kubernetes`, 2);
  }
  if (confDir && !subnet && !kubernetes)
    throw new CommandError(
      "--conf-dir needs --subnet: the conflist names the node's pod subnet (e.g. --subnet 10.244.1.0/24), or --kubernetes --node NAME to take it from the Node",
      2,
    );
  // the API first: nothing is written while the subnet is unknown, nor when there is none
  let fromApi: { node: string; podCIDR: string; waitedMs: number } | null = null;
  if (kubernetes) {
    fromApi = await nodePodCidr(args, io);
    subnet = fromApi.podCIDR;
  }
  let report: InstallReport;
  try {
    report = await install(
      binDir,
      confDir && subnet
        ? {
            confDir,
            options: {
              name: str(args, 'network-name')!,
              subnet,
              clusterNetwork: str(args, 'cluster-network'),
              bridge: str(args, 'bridge')!,
              stateDir: str(args, 'state-dir')!,
              dataDir: str(args, 'data-dir')!,
              ...(str(args, 'agent-socket') ? { agentSocket: str(args, 'agent-socket')! } : {}),
            },
          }
        : null,
      { nodeRuntime: flag(args, 'node-runtime') },
    );
  } catch (e) {
    throw new CommandError((e as Error).message, 2);
  }
  if (io.json) return io.out(JSON.stringify(fromApi ? { ...report, kubernetes: fromApi } : report));
  for (const f of report.executables) io.out(`installed ${f}`);
  if (report.noShim) io.err(`no fast-path shim: ${report.noShim}`);
  if (fromApi) io.out(`node ${fromApi.node} has the podCIDR ${fromApi.podCIDR}`);
  if (report.conflist) io.out(`wrote ${report.conflist}`);
  io.out(`plugins run with ${report.node}`);
};

/** --kubernetes: the Node's podCIDR, waited for as long as --timeout says. */
async function nodePodCidr(args: Parsed, io: CommandIo): Promise<{ node: string; podCIDR: string; waitedMs: number }> {
  const node = str(args, 'node');
  if (!node) throw new CommandError('--kubernetes needs --node NAME: the Node whose podCIDR to use', 2);
  const timeoutText = str(args, 'timeout');
  let timeoutMs: number | undefined;
  if (timeoutText !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(timeoutText))
      throw new CommandError(`--timeout "${timeoutText}" is not a number of seconds (0: do not wait)`, 2);
    timeoutMs = Number(timeoutText) * 1000;
  }
  // loaded only here: @kubernetes/client-node is a large import the other installs never need
  const { loadKubeConfig, KubeConfigError } = await import('../../lib/kube/config.js');
  const { waitForNodePodCidr, NodePodCidrError } = await import('../../lib/kube/node-pod-cidr.js');
  try {
    const kc = loadKubeConfig(str(args, 'kubeconfig'));
    const r = await waitForNodePodCidr(kc, node, { timeoutMs, notice: (why) => io.err(why) });
    return { node, ...r };
  } catch (e) {
    if (e instanceof KubeConfigError) throw new CommandError(e.message, 2);
    if (e instanceof NodePodCidrError) throw new CommandError(e.message, e.kind === 'invalid' ? 2 : 1);
    throw e;
  }
}

export const runCniUninstall: Run = (args, io) => {
  const report = uninstall(str(args, 'bin-dir')!, str(args, 'conf-dir'));
  if (io.json) return io.out(JSON.stringify(report));
  for (const f of report.removed) io.out(`removed ${f}`);
  for (const f of report.skipped) io.err(`left ${f}`);
  if (report.removed.length === 0) io.out('nothing to remove');
};
