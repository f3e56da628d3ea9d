// podnet dashboard: the web dashboard in the foreground, for any cluster source — the
// lab, a real cluster through the Kubernetes API, or a generated one. `podnet up` runs
// the same thing for the lab.
import { rmSync } from 'node:fs';
import { str, flag, type Parsed } from '../args.js';
import { CommandError, type Command } from '../command.js';
import { AUTH_OPTIONS, dashboardAuth, NO_AUTH_WARNING, urlWithKey } from '../dashboard-key.js';
import { startDashboard } from '../dashboard-process.js';
import { dashboardKeyFile } from '../../lab/dashboard-key-file.js';
import { labIdOption, pathsOf } from './lab.js';

export const HOST_OPTION = { name: 'host', value: 'ADDR', help: 'address the dashboard listens on', default: '127.0.0.1' };
export const PORT_OPTION = { name: 'port', value: 'PORT', help: 'dashboard port', default: '3000' };

export function portOf(args: Parsed): number {
  const v = str(args, 'port')!;
  if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) throw new CommandError(`--port must be 1-65535, got "${v}"`, 2);
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

export const dashboard: Command = {
  path: ['dashboard'],
  summary: 'run the web dashboard in the foreground (lab, kubernetes or synthetic source)',
  usage: 'podnet dashboard [--source lab|kubernetes|synthetic] [--lab-id ID] [--kubeconfig F] [--agent-port N|off] [--agent-token-file F] [--agent-ca-file F] [--agent-server-name NAME] [--synthetic NxP] [--token-file F | --no-auth] [--allowed-host NAMES] [--read-only] [--frame-ancestors ORIGINS] [--base-path /PATH] [--host ADDR] [--port PORT] [--json]',
  description:
    'Serves the live topology page. --source lab (default) shows a lab and its agents; --source kubernetes lists and watches ' +
    'Nodes and Pods through the Kubernetes API (kubeconfig from --kubeconfig, $KUBECONFIG, ~/.kube/config or in-cluster) and ' +
    'reads each node\'s agent at InternalIP:--agent-port; --source synthetic draws a generated cluster of N nodes and P pods. ' +
    'The page is built first when the sources changed. The page asks for a key: one is made (a 0600 file, kept for the next ' +
    'start) unless --token-file names one or --no-auth turns it off, and the URL printed once carries it (?token=). ' +
    'Requests must address localhost, an IP address, --host or an --allowed-host name. --frame-ancestors ' +
    'lists the origins allowed to embed it (none by default); --base-path serves it under a sub-path of a portal (a build ' +
    'of its own, made on first use); --read-only turns probes off. Ctrl-C stops it.',
  options: [
    { name: 'source', value: 'SOURCE', help: 'lab, kubernetes or synthetic', default: 'lab' },
    labIdOption,
    { name: 'kubeconfig', value: 'FILE', help: 'kubernetes: the kubeconfig file' },
    { name: 'agent-port', value: 'N', help: 'kubernetes: agents\' port at each node\'s InternalIP, or "off"', default: '9650' },
    { name: 'agent-token-file', value: 'FILE', help: 'kubernetes: file with the agents\' bearer token' },
    { name: 'agent-ca-file', value: 'FILE', help: 'kubernetes: agents serve TLS; verify them with this CA (PEM)' },
    { name: 'agent-server-name', value: 'NAME', help: 'kubernetes: the name in the agents\' certificates', default: 'podnet-agent' },
    { name: 'synthetic', value: 'NxP', help: 'synthetic: nodes x pods', default: '3x6' },
    ...AUTH_OPTIONS,
    { name: 'read-only', help: 'turn probes off' },
    { name: 'frame-ancestors', value: 'ORIGINS', help: 'space-separated origins that may embed the page' },
    { name: 'base-path', value: '/PATH', help: 'serve under this sub-path, e.g. /tools/podnet' },
    HOST_OPTION,
    PORT_OPTION,
  ],
  reports: true,
  async run(args, io) {
    const source = str(args, 'source')!;
    if (!['lab', 'kubernetes', 'synthetic'].includes(source)) throw new CommandError(`--source must be lab, kubernetes or synthetic, got "${source}"`, 2);
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
    set('agent-server-name', 'PODNET_AGENT_SERVER_NAME');
    set('synthetic', 'PODNET_SYNTHETIC');
    set('frame-ancestors', 'PODNET_FRAME_ANCESTORS');
    if (flag(args, 'read-only')) env.PODNET_READ_ONLY = '1';
    // Next.js bakes the base path into the build: a sub-path build lives in .next-base, and is
    // rebuilt when the base path changes.
    const basePath = str(args, 'base-path');
    if (basePath !== undefined && !/^\/[A-Za-z0-9._~/-]*[A-Za-z0-9._~-]$/.test(basePath)) throw new CommandError(`--base-path must start with "/" and not end with "/", e.g. /tools/podnet; got "${basePath}"`, 2);
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
    else io.out(`dashboard: ${url}${auth.keyFile ? `\nkey:       in ${auth.keyFile} (scripts send "Authorization: Bearer <key>")` : ''}`);
    const exited = new Promise<void>((r) => running.child.once('exit', () => r()));
    await Promise.race([untilSignal(() => running.stop()), exited]);
    // A key made for a cluster that is not a lab lives as long as this dashboard (a lab's
    // key stays with the lab, for the next dashboard on it; lab down removes it).
    if (auth.made && source !== 'lab') rmSync(auth.keyFile!, { force: true });
    return 0;
  },
};
