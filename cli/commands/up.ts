// podnet up | down. Until the lab exists (issue 3), "everything that exists" is the CNI
// plugins and one pod attached through them on one node namespace.
import { str } from '../args.js';
import { CommandError, type Command, type CommandIo } from '../command.js';
import { demoDown, demoPaths, demoUp, runningUp, type DemoPaths, type DemoReport } from '../../lab/demo.js';
import { sleepSync } from '../../lib/ipam/lock.js';

const labIdOption = { name: 'lab-id', value: 'ID', help: 'run a separate lab: namespaces podnet-ID-…, state in /run/podnet/ID (or PODNET_LAB)' };

function paths(args: Parameters<Command['run']>[0]): DemoPaths {
  try {
    return demoPaths(str(args, 'lab-id') ?? process.env.PODNET_LAB ?? null);
  } catch (e) {
    throw new CommandError((e as Error).message, 2);
  }
}

function print(io: CommandIo, r: DemoReport): void {
  io.out(`node1 (namespace ${r.node.netns}): bridge ${r.node.bridge}, pod subnet ${r.node.podCIDR}`);
  io.out(`pod ${r.pod.namespace}/${r.pod.name} (namespace ${r.pod.netns}): ${r.pod.ip} on ${r.pod.hostVeth}`);
  io.out('\nthe pod, as the kernel has it:');
  io.out(r.kernel.podAddresses.replace(/^/gm, '  '));
  io.out(r.kernel.podRoutes.replace(/^/gm, '  '));
  io.out('\nthe node:');
  io.out(r.kernel.nodeLinks.replace(/^/gm, '  '));
  io.out('\nping from the pod to its gateway 10.244.1.1:');
  io.out(r.kernel.pingGateway.replace(/^/gm, '  '));
  io.out(`\ntry: nsenter --net=/run/netns/${r.pod.netns} ip addr`);
}

export const up: Command = {
  path: ['up'],
  summary: 'bring up everything that exists, and stay in the foreground',
  usage: 'podnet up [--lab-id ID] [--host 127.0.0.1] [--port 3000] [--json]',
  description:
    'Installs the podnet CNI plugins, makes a node network namespace and attaches one pod through the plugins exactly as a ' +
    'container runtime does, then prints what the kernel has. It stays in the foreground; Ctrl-C, SIGTERM or "podnet down" ' +
    'from another shell takes all of it down. (The three-node lab, the agents and the dashboard join here as they are built; ' +
    '--host and --port are for the dashboard.)',
  options: [labIdOption, { name: 'host', value: 'ADDR', help: 'dashboard address', default: '127.0.0.1' }, { name: 'port', value: 'PORT', help: 'dashboard port', default: '3000' }],
  reports: true,
  async run(args, io) {
    const p = paths(args);
    const other = runningUp(p);
    // Checked here, before the try: a refused `up` must not tear down the running one.
    if (other) throw new CommandError(`podnet is already up (pid ${other}, state in ${p.stateDir}): run "podnet down" first`);
    let report: DemoReport;
    try {
      report = await demoUp(p, (msg) => io.err(`podnet up: ${msg}`));
    } catch (e) {
      demoDown(p);
      throw new CommandError((e as Error).message);
    }
    if (io.json) io.out(JSON.stringify(report));
    else print(io, report);
    io.err('\npodnet is up. Ctrl-C (or "podnet down") takes it down.');
    await new Promise<void>((resolve) => {
      // Signal handlers alone do not keep Node running; this timer does, until a signal.
      const keepAlive = setInterval(() => {}, 1 << 30);
      const stop = (signal: string) => {
        clearInterval(keepAlive);
        io.err(`\npodnet up: ${signal}: taking everything down`);
        for (const line of demoDown(p)) io.err(`  ${line}`);
        resolve();
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};

export const down: Command = {
  path: ['down'],
  summary: 'take down what podnet up started (from any shell)',
  usage: 'podnet down [--lab-id ID] [--json]',
  description: 'Stops a running "podnet up" (SIGTERM to the PID it recorded) and waits for its teardown; if that process is gone, removes what it left. Running it twice is fine.',
  options: [labIdOption],
  reports: true,
  run(args, io) {
    const p = paths(args);
    const pid = runningUp(p);
    let stopped: number | null = null;
    if (pid) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 300 && runningUp(p) === pid; i++) sleepSync(100);
      if (runningUp(p) === pid) throw new CommandError(`podnet up (pid ${pid}) did not stop within 30 s`);
      stopped = pid;
    }
    const removed = demoDown(p); // whatever a dead "up" left behind
    if (io.json) return io.out(JSON.stringify({ stopped, removed }));
    if (stopped) io.out(`stopped podnet up (pid ${stopped})`);
    for (const line of removed) io.out(line);
    if (!stopped && removed.length === 0) io.out('nothing was up');
  },
};

