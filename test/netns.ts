// Network namespaces for tests: every name starts with podnet-t<run id>-, and
// removeAll() deletes them (call it in afterEach/finally: also when the test failed).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export class Namespaces {
  readonly prefix: string;
  private readonly made: string[] = [];

  constructor(tag = 't') {
    this.prefix = `podnet-${tag}${randomBytes(3).toString('hex')}-`;
  }

  /** Creates a namespace and returns its name; its path is /run/netns/NAME. */
  add(suffix: string): string {
    const name = this.prefix + suffix;
    execFileSync('ip', ['netns', 'add', name]);
    this.made.push(name);
    execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  removeAll(): void {
    for (const name of this.made.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
  }
}

export const nsPath = (name: string) => `/run/netns/${name}`;

/** `ip -j …` inside a named namespace, parsed. */
export function ipIn<T = Record<string, unknown>>(ns: string, args: string[]): T[] {
  const out = execFileSync('ip', ['-n', ns, '-j', ...args], { encoding: 'utf8' }).trim();
  return out ? (JSON.parse(out) as T[]) : [];
}

/** Runs a command inside a namespace; returns its exit status and output. */
export function execIn(ns: string, cmd: string[]): { status: number; out: string } {
  try {
    const out = execFileSync('nsenter', [`--net=/run/netns/${ns}`, '--', ...cmd], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: 0, out };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { status: err.status ?? 1, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

export function linkNames(ns: string): string[] {
  return ipIn<{ ifname: string }>(ns, ['link', 'show']).map((l) => l.ifname);
}
