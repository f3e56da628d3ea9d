// The run of podnet dashboard (its table entry is ./dashboard.ts), and what `podnet up`
// shares with it: the port, and running until a signal.
import { rmSync } from 'node:fs';
import { str, flag, type Parsed } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { dashboardAuth, NO_AUTH_WARNING, urlWithKey } from '../dashboard-key.js';
import { startDashboard } from '../dashboard-process.js';
import { agentSocketDirProblem } from '../../lib/kube/objects.js';
import { dashboardKeyFile } from '../../lab/dashboard-key-file.js';
import { pathsOf } from './lab-call.js';

export function portOf(args: Parsed): number {
  const v = str(args, 'port')!;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535)
    throw new CommandError(`--port must be 1-65535, got "${v}"`, 2);
  return Number(v);
}

/** Runs until SIGINT/SIGTERM, then stops the dashboard and resolves. */
export function untilSignal(onStop: (signal: string) => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    // Signal handlers alone do not keep Node running; this timer does, until a signal.
    const keepAlive = setInterval(() => {}, 1 << 30);
    let stopping = false;
    const onSignal = (signal: string) => {
      if (stopping) return;
      stopping = true;
      void onStop(signal).finally(() => (clearInterval(keepAlive), resolve()));
    };
    process.on('SIGINT', () => onSignal('SIGINT'));
    process.on('SIGTERM', () => onSignal('SIGTERM'));
  });
}

export const runDashboard: Run = async (args, io) => {
  const source = str(args, 'source')!;
  if (!['lab', 'kubernetes', 'synthetic'].includes(source))
    throw new CommandError(`--source must be lab, kubernetes or synthetic, got "${source}"`, 2);
  const env: Record<string, string> = { PODNET_SOURCE: source };
  if (source === 'lab') env.PODNET_LAB = pathsOf(args).labId ?? '';
  const set = (opt: string, name: string) => {
    const v = str(args, opt);
    if (v !== undefined) env[name] = v;
  };
  set('kubeconfig', 'PODNET_KUBECONFIG');
  set('agent-port', 'PODNET_AGENT_PORT');
  set('agent-token-file', 'PODNET_AGENT_TOKEN_FILE');
  set('agent-ca-file', 'PODNET_AGENT_CA_FILE');
  // checked here too (server/config.ts checks PODNET_AGENT_SOCKET_DIR): the server reads
  // its configuration on first use, after it is up; this refuses before anything starts
  const socketDir = str(args, 'agent-socket-dir');
  if (socketDir !== undefined) {
    const problem = agentSocketDirProblem(socketDir);
    if (problem) throw new CommandError(`--agent-socket-dir ${problem}`, 2);
    if (str(args, 'agent-ca-file') !== undefined)
      throw new CommandError(
        '--agent-socket-dir and --agent-ca-file do not go together: agents on unix sockets speak plain HTTP (give one of them)',
        2,
      );
  }
  set('agent-socket-dir', 'PODNET_AGENT_SOCKET_DIR');
  set('agent-server-name', 'PODNET_AGENT_SERVER_NAME');
  set('synthetic', 'PODNET_SYNTHETIC');
  set('frame-ancestors', 'PODNET_FRAME_ANCESTORS');
  if (flag(args, 'read-only')) env.PODNET_READ_ONLY = '1';
  // Next.js bakes the base path into the build: a sub-path build lives in .next-base, and is
  // rebuilt when the base path changes.
  const basePath = str(args, 'base-path');
  if (basePath !== undefined && !/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/.test(basePath))
    throw new CommandError(
      `--base-path must start with "/" and not end with "/", e.g. /tools/podnet; got "${basePath}"`,
      2,
    );
  if (basePath) env.PODNET_BASE_PATH = basePath;
  const distDir = basePath ? '.next-base' : '.next';
  const host = str(args, 'host')!;
  const port = portOf(args);
  const defaultKeyFile = source === 'lab' ? dashboardKeyFile(pathsOf(args)) : `/run/podnet/dashboard-${port}.key`;
  const auth = dashboardAuth(args, defaultKeyFile, host);
  Object.assign(env, auth.env);
  if (!auth.keyFile) io.err(NO_AUTH_WARNING);
  let running;
  try {
    running = await startDashboard({ host, port, env, distDir }, (m) => io.err(`dashboard: ${m}`));
  } catch (e) {
    if (auth.made && source !== 'lab') rmSync(auth.keyFile!, { force: true });
    throw new CommandError((e as Error).message);
  }
  const url = urlWithKey(running.url, auth.key);
  if (io.json) io.out(JSON.stringify({ url, pid: running.child.pid, source, tokenFile: auth.keyFile }));
  else
    io.out(
      `dashboard: ${url}${auth.keyFile ? `\nkey:       in ${auth.keyFile} (scripts send "Authorization: Bearer <key>")` : ''}`,
    );
  const exited = new Promise<void>((r) => running.child.once('exit', () => r()));
  await Promise.race([untilSignal(() => running.stop()), exited]);
  // A key made for a cluster that is not a lab lives as long as this dashboard (a lab's
  // key stays with the lab, for the next dashboard on it; lab down removes it).
  if (auth.made && source !== 'lab') rmSync(auth.keyFile!, { force: true });
  return 0;
};
