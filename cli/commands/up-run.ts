// The runs of podnet up | down (their table entries are ./up.ts).
import { readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { str } from '../args.js';
import { CommandError, type Run } from '../command.js';
import { dashboardAuth, NO_AUTH_WARNING, urlWithKey } from '../dashboard-key.js';
import { startDashboard, type RunningDashboard } from '../dashboard-process.js';
import { dashboardKeyFile } from '../../lab/dashboard-key-file.js';
import { renderMatrix, runCheck } from '../../lab/check.js';
import { readInventory, withLabLock, writeInventory, type LabInventory } from '../../lab/inventory.js';
import { tokenFile } from '../../lab/agents.js';
import { kubeFiles } from '../../lab/kube-state.js';
import { labDown, labUp } from '../../lab/lab.js';
import { labFiles, type LabPaths } from '../../lab/paths.js';
import {
  formatPidFile,
  readPidFile,
  recordProcess,
  stillRunning,
  type ProcessRecord,
} from '../../lib/proc/identity.js';
import { sleepSync } from '../../lib/proc/sleep.js';
import { portOf, untilSignal } from './dashboard-run.js';
import { labCall, pathsOf } from './lab-call.js';
import { printLab, statusOf } from './lab-status.js';

const dashboardPidFile = (p: LabPaths) => labFiles(p).dashboardPid;

/** The dashboard's source: the lab's inventory, or — the Kubernetes-shaped lab — its API
 *  endpoint, with the agents reached on their unix sockets (no traffic into the lab). */
function dashboardSource(p: LabPaths, inv: LabInventory): Record<string, string> {
  if (!inv.kube) return { PODNET_SOURCE: 'lab', PODNET_LAB: p.labId ?? '' };
  return {
    PODNET_SOURCE: 'kubernetes',
    PODNET_KUBECONFIG: kubeFiles(p).kubeconfig,
    PODNET_AGENT_SOCKET_DIR: labFiles(p).nodes,
    PODNET_AGENT_TOKEN_FILE: tokenFile(p),
  };
}

/** The lab's inventory names the dashboard's URL (`lab status --json` prints it). */
async function recordDashboard(p: LabPaths, url: string | null): Promise<void> {
  await withLabLock(p, async () => {
    const inv = readInventory(p);
    if (inv) writeInventory(p, { ...inv, dashboard: url });
  });
}

/** The process a PID file records, or null if the file is missing or garbled. */
function recorded(file: string): ProcessRecord | null {
  try {
    return readPidFile(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

/** A dashboard a killed `podnet up` left running: stopped by its recorded PID, only if
 *  that PID is still the same process. */
function stopLeftDashboard(p: LabPaths): number | null {
  const dash = recorded(dashboardPidFile(p));
  try {
    unlinkSync(dashboardPidFile(p));
  } catch {
    /* none */
  }
  if (!stillRunning(dash)) return null;
  process.kill(dash!.pid, 'SIGTERM');
  return dash!.pid;
}

/** The PID recorded by a running `podnet up`, if that process is still the one. */
function runningUp(p: LabPaths): number | null {
  const up = recorded(labFiles(p).upPid);
  return stillRunning(up) ? up!.pid : null;
}

function forgetUp(p: LabPaths): void {
  try {
    unlinkSync(labFiles(p).upPid);
    rmdirSync(p.stateDir);
  } catch {
    /* gone, or the directory holds other labs */
  }
}

export const runUp: Run = async (args, io) => {
  const p = pathsOf(args);
  const port = portOf(args);
  const host = str(args, 'host')!;
  const other = runningUp(p);
  if (other)
    throw new CommandError(`podnet is already up (pid ${other}, state in ${p.stateDir}): run "podnet down" first`);
  const controlPlane = str(args, 'control-plane');
  if (controlPlane !== 'lab' && controlPlane !== 'kubernetes')
    throw new CommandError(`--control-plane must be lab or kubernetes, got "${controlPlane}"`, 2);
  const kube = controlPlane === 'kubernetes';
  const flags = {
    nodes: 3,
    podsPerNode: 2,
    routing: 'host-gw' as const,
    ...(kube ? { controlPlane: 'kubernetes' as const } : {}),
  };
  const { inventory } = await labCall(() => labUp(p, flags, (m) => io.err(`lab up: ${m}`)));
  writeFileSync(labFiles(p).upPid, formatPidFile(recordProcess(process.pid)));
  let dash: RunningDashboard | null = null;
  let stopping: Promise<void> | null = null;
  const stop = (signal: string) =>
    (stopping ??= (async () => {
      io.err(`\npodnet up: ${signal}: taking everything down`);
      if (dash) await dash.stop();
      try {
        unlinkSync(dashboardPidFile(p));
      } catch {
        /* never written: the dashboard had not started */
      }
      const r = await labDown(p);
      forgetUp(p);
      io.err(`lab down: removed ${r.removed.length} namespaces`);
    })());
  const stopped = untilSignal(stop);
  const report = await runCheck(inventory, (m) => io.err(`check: ${m}`));
  if (!io.json) {
    printLab(io, inventory);
    io.out('\npodnet check:');
    io.out(renderMatrix(report));
    io.out(
      report.ok
        ? '\nthe network model holds'
        : `\n${report.failures.length} failure(s):\n${report.failures.map((f) => `  ${f}`).join('\n')}`,
    );
    const id = p.labId ? ` --lab-id ${p.labId}` : '';
    io.out(`\ntry: bin/podnet lab exec web-1${id} -- ping -c1 10.244.2.2`);
    io.out(
      `     bin/podnet trace web-1 web-3${id}          # the path hop by hop; break it with: bin/podnet lab fault missing-route${id}`,
    );
  }
  let key: string | null = null;
  try {
    const auth = dashboardAuth(args, dashboardKeyFile(p), host);
    key = auth.key;
    if (!auth.keyFile) io.err(NO_AUTH_WARNING);
    dash = await startDashboard(
      {
        host,
        port,
        env: { ...dashboardSource(p, inventory), ...auth.env },
        log: labFiles(p).dashboardLog,
      },
      (m) => io.err(`dashboard: ${m}`),
    );
  } catch (e) {
    await stop('the dashboard failed');
    throw new CommandError((e as Error).message);
  }
  writeFileSync(dashboardPidFile(p), formatPidFile(recordProcess(dash.child.pid!)));
  await recordDashboard(p, dash.url);
  // The URL with the key is printed once, here; the lab's status names the file instead.
  const url = urlWithKey(dash.url, key);
  const lab = statusOf({ ...inventory, dashboard: dash.url });
  if (io.json) io.out(JSON.stringify({ lab, check: report, dashboard: url }));
  else io.out(`\ndashboard: ${url}`);
  io.err('\npodnet is up. Ctrl-C (or "podnet down") takes it down.');
  await stopped;
  return 0;
};

export const runDown: Run = async (args, io) => {
  const p = pathsOf(args);
  const pid = runningUp(p);
  let stopped: number | null = null;
  if (pid) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 300 && runningUp(p) === pid; i++) sleepSync(100);
    if (runningUp(p) === pid) throw new CommandError(`podnet up (pid ${pid}) did not stop within 30 s`);
    stopped = pid;
  }
  const leftDashboard = stopLeftDashboard(p);
  const r = await labCall(() => labDown(p)); // whatever a dead "up" left behind
  forgetUp(p);
  if (io.json) return io.out(JSON.stringify({ stopped, dashboard: leftDashboard, removed: r.removed }));
  if (stopped) io.out(`stopped podnet up (pid ${stopped})`);
  if (leftDashboard) io.out(`stopped the dashboard it left (pid ${leftDashboard})`);
  if (r.removed.length) io.out(`removed ${r.removed.length} namespaces`);
  if (!stopped && !r.wasUp) io.out('nothing was up');
};
