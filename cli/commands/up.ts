// podnet up | down: everything that exists, in the foreground. Today that is the lab
// (and `podnet check` on it); the agents and the dashboard join here as they are built.
import { readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { CommandError, type Command } from '../command.js';
import { renderMatrix, runCheck } from '../../lab/check.js';
import { labDown, labUp } from '../../lab/lab.js';
import { labFiles, type LabPaths } from '../../lab/paths.js';
import { processStartTime, sleepSync } from '../../lib/ipam/lock.js';
import { labCall, labIdOption, pathsOf, printLab, statusOf } from './lab.js';

/** The PID recorded by a running `podnet up`, if that process is still the one. */
function runningUp(p: LabPaths): number | null {
  try {
    const [pid, start] = readFileSync(labFiles(p).upPid, 'utf8').trim().split(' ');
    return processStartTime(Number(pid)) === start ? Number(pid) : null;
  } catch {
    return null;
  }
}

function forgetUp(p: LabPaths): void {
  try {
    unlinkSync(labFiles(p).upPid);
    rmdirSync(p.stateDir);
  } catch {
    /* gone, or the directory holds other labs */
  }
}

export const up: Command = {
  path: ['up'],
  summary: 'bring up everything that exists, and stay in the foreground',
  usage: 'podnet up [--lab-id ID] [--host 127.0.0.1] [--port 3000] [--json]',
  description:
    'Brings up the lab (three nodes, two pods each, host-gw; as "podnet lab up"), prints it and "podnet check"\'s matrix, and ' +
    'stays in the foreground. Ctrl-C, SIGTERM or "podnet down" from another shell takes all of it down. (The agents and the ' +
    'dashboard join here as they are built; --host and --port are for the dashboard.)',
  options: [labIdOption, { name: 'host', value: 'ADDR', help: 'dashboard address', default: '127.0.0.1' }, { name: 'port', value: 'PORT', help: 'dashboard port', default: '3000' }],
  reports: true,
  async run(args, io) {
    const p = pathsOf(args);
    const other = runningUp(p);
    if (other) throw new CommandError(`podnet is already up (pid ${other}, state in ${p.stateDir}): run "podnet down" first`);
    const { inventory } = await labCall(() => labUp(p, { nodes: 3, podsPerNode: 2, routing: 'host-gw' }, (m) => io.err(`lab up: ${m}`)));
    writeFileSync(labFiles(p).upPid, `${process.pid} ${processStartTime(process.pid)}\n`);
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.err(`\npodnet up: ${signal}: taking everything down`);
      const r = await labDown(p);
      forgetUp(p);
      io.err(`lab down: removed ${r.removed.length} namespaces`);
    };
    const stopped = new Promise<void>((resolve) => {
      // Signal handlers alone do not keep Node running; this timer does, until a signal.
      const keepAlive = setInterval(() => {}, 1 << 30);
      const onSignal = (signal: string) => void stop(signal).finally(() => (clearInterval(keepAlive), resolve()));
      process.on('SIGINT', () => onSignal('SIGINT'));
      process.on('SIGTERM', () => onSignal('SIGTERM'));
    });
    const report = await runCheck(inventory, (m) => io.err(`check: ${m}`));
    if (io.json) io.out(JSON.stringify({ lab: statusOf(inventory), check: report }));
    else {
      printLab(io, inventory);
      io.out('\npodnet check:');
      io.out(renderMatrix(report));
      io.out(report.ok ? '\nthe network model holds' : `\n${report.failures.length} failure(s):\n${report.failures.map((f) => `  ${f}`).join('\n')}`);
      io.out(`\ntry: bin/podnet lab exec web-1${p.labId ? ` --lab-id ${p.labId}` : ''} -- ping -c1 10.244.2.2`);
    }
    io.err('\npodnet is up. Ctrl-C (or "podnet down") takes it down.');
    await stopped;
    return 0;
  },
};

export const down: Command = {
  path: ['down'],
  summary: 'take down what podnet up started (from any shell)',
  usage: 'podnet down [--lab-id ID] [--json]',
  description: 'Stops a running "podnet up" (SIGTERM to the PID it recorded) and waits for its teardown; if that process is gone, removes the lab it left. Running it twice is fine.',
  options: [labIdOption],
  reports: true,
  async run(args, io) {
    const p = pathsOf(args);
    const pid = runningUp(p);
    let stopped: number | null = null;
    if (pid) {
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 300 && runningUp(p) === pid; i++) sleepSync(100);
      if (runningUp(p) === pid) throw new CommandError(`podnet up (pid ${pid}) did not stop within 30 s`);
      stopped = pid;
    }
    const r = await labCall(() => labDown(p)); // whatever a dead "up" left behind
    forgetUp(p);
    if (io.json) return io.out(JSON.stringify({ stopped, removed: r.removed }));
    if (stopped) io.out(`stopped podnet up (pid ${stopped})`);
    if (r.removed.length) io.out(`removed ${r.removed.length} namespaces`);
    if (!stopped && !r.wasUp) io.out('nothing was up');
  },
};
