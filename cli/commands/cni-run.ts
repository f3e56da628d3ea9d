// The runs of podnet cni install | uninstall (their table entries are ./cni.ts).
import { str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { install, uninstall } from '../../cni/install.js';

export const runCniInstall: Run = async (args, io) => {
  const binDir = str(args, 'bin-dir')!;
  const confDir = str(args, 'conf-dir');
  const subnet = str(args, 'subnet');
  if (confDir && !subnet)
    throw new CommandError(
      "--conf-dir needs --subnet: the conflist names the node's pod subnet (e.g. --subnet 10.244.1.0/24)",
      2,
    );
  let report;
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
    );
  } catch (e) {
    throw new CommandError((e as Error).message, 2);
  }
  if (io.json) return io.out(JSON.stringify(report));
  for (const f of report.executables) io.out(`installed ${f}`);
  if (report.noShim) io.err(`no fast-path shim: ${report.noShim}`);
  if (report.conflist) io.out(`wrote ${report.conflist}`);
  io.out(`plugins run with ${report.node}`);
};

export const runCniUninstall: Run = (args, io) => {
  const report = uninstall(str(args, 'bin-dir')!, str(args, 'conf-dir'));
  if (io.json) return io.out(JSON.stringify(report));
  for (const f of report.removed) io.out(`removed ${f}`);
  for (const f of report.skipped) io.err(`left ${f}`);
  if (report.removed.length === 0) io.out('nothing to remove');
};
