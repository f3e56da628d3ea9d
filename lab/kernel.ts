// How the lab talks to the kernel: batches of `ip` commands per namespace (by name, so
// `ip -n` works without nsenter), sysctls through nsenter, namespaces made and removed
// many at a time.
import { spawnSync } from 'node:child_process';
import { NetError } from '../lib/net/ip.js';

function run(argv: string[], input?: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
  if (r.error) throw new NetError(argv.join(' '), r.error.message, null);
  if (r.status !== 0) throw new NetError(argv.join(' '), r.stderr || r.stdout, r.status, r.stdout);
  return r.stdout;
}

/** `ip -n NAME -batch -`; without a name, in the caller's namespace. Stops at the first error. */
export function ipBatchIn(netns: string | null, lines: string[]): void {
  if (lines.length === 0) return;
  run(['ip', ...(netns ? ['-n', netns] : []), '-batch', '-'], lines.join('\n') + '\n');
}

export function sysctlIn(netns: string, settings: string[]): void {
  run(['nsenter', `--net=/run/netns/${netns}`, '--', 'sysctl', '-qw', ...settings]);
}

export function addNamespaces(names: string[]): void {
  ipBatchIn(
    null,
    names.map((n) => `netns add ${n}`),
  );
}

/** Deletes the namespaces that exist; the kernel objects inside go with them. */
export function deleteNamespaces(names: string[]): void {
  if (names.length === 0) return;
  // -force: go on past a namespace that is already gone.
  spawnSync('ip', ['-force', '-batch', '-'], {
    input: names.map((n) => `netns del ${n}`).join('\n') + '\n',
    encoding: 'utf8',
  });
}

export function execIn(netns: string, cmd: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', [`--net=/run/netns/${netns}`, '--', ...cmd], { encoding: 'utf8' });
  return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? r.error?.message ?? '' };
}
