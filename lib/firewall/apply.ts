// Applies, removes and reads back a node's firewall (see render.ts for what and why).
// Node only, synchronous like lib/net/ip.ts. Everything runs inside `netns` when given.
import { iptables, NetError, nft, nftJson } from '../net/ip.js';
import { FORWARD_COMMENT, renderFirewall, TABLE_FAMILY, TABLE_NAME, type FirewallInput } from './render.js';

export interface FirewallOptions {
  /** a network namespace path (/run/netns/NAME, /proc/PID/ns/net); default: this one */
  netns?: string;
}

export class FirewallError extends Error {
  constructor(
    /** what podnet was doing */
    readonly step: string,
    readonly command: string,
    readonly stderr: string,
    readonly status: number | null,
  ) {
    super(`firewall: ${step} failed: ${command}: ${stderr.trim() || `exit status ${status}`}`);
    this.name = 'FirewallError';
  }
}

function wrap(what: string, e: unknown): unknown {
  return e instanceof NetError ? new FirewallError(what, e.command, e.stderr, e.status) : e;
}

function step<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw wrap(what, e);
  }
}

const missing = (e: unknown) => e instanceof NetError && /No such file or directory/.test(e.stderr) && !e.netnsNotFound;
const notInstalled = (e: unknown) => e instanceof NetError && /ENOENT|failed to execute/.test(e.stderr);

export type ForwardPolicy = 'accept' | 'drop' | 'unknown';
export type IptablesBackend = 'nft' | 'legacy' | 'none';

interface ForwardChain {
  backend: IptablesBackend;
  exists: boolean;
  policy: ForwardPolicy;
}

// iptables-nft answers `iptables -S FORWARD` with "-P FORWARD ACCEPT" even when no
// filter table exists (it shows built-in chains it has not created), so with that
// backend existence is asked of nftables itself. Inserting our accepts would create the
// chain, which is not ours to create. Legacy iptables always has the chain.
function forwardChain(opts: FirewallOptions): ForwardChain {
  let backend: IptablesBackend;
  try {
    backend = /legacy/.test(iptables(['-V'], opts)) ? 'legacy' : 'nft';
  } catch (e) {
    if (!notInstalled(e)) throw wrap('ask iptables for its backend', e);
    backend = 'none';
  }
  if (backend === 'legacy') {
    const policy = /^-P FORWARD (\w+)/m.exec(
      step('read the FORWARD policy', () => iptables(['-S', 'FORWARD'], opts)),
    )?.[1];
    return { backend, exists: true, policy: policy === 'DROP' ? 'drop' : policy === 'ACCEPT' ? 'accept' : 'unknown' };
  }
  try {
    const out = nftJson(['list', 'chain', 'ip', 'filter', 'FORWARD'], opts) as {
      nftables: { chain?: { policy?: string } }[];
    };
    const policy = out.nftables.find((o) => o.chain)?.chain?.policy;
    return { backend, exists: true, policy: policy === 'drop' ? 'drop' : policy === 'accept' ? 'accept' : 'unknown' };
  } catch (e) {
    if (missing(e)) return { backend, exists: false, policy: 'unknown' };
    throw wrap('read the iptables FORWARD chain', e);
  }
}

/** podnet's own FORWARD rules, as `iptables -S` prints them (without "-A FORWARD"). */
function ownForwardRules(opts: FirewallOptions): string[][] {
  const out = step('list the FORWARD rules', () => iptables(['-S', 'FORWARD'], opts));
  return out
    .split('\n')
    .filter((l) => l.startsWith('-A FORWARD '))
    .map((l) =>
      l
        .slice('-A FORWARD '.length)
        .split(/\s+/)
        .map((t) => t.replace(/^"(.*)"$/, '$1')),
    )
    .filter((args) => args.some((t, i) => t === '--comment' && args[i + 1] === FORWARD_COMMENT));
}

function requireIptables(chain: ForwardChain): void {
  if (chain.backend === 'none' && chain.exists) {
    throw new FirewallError(
      'place the FORWARD accepts',
      'iptables',
      `iptables is not installed, but table ip filter has a FORWARD chain (policy ${chain.policy}); install the Debian package iptables`,
      null,
    );
  }
}

export interface ApplyResult {
  /** an iptables FORWARD chain exists, so the accepts were placed (or already there) */
  forwardChain: boolean;
  forwardInserted: number;
  /** stale podnet FORWARD rules removed (another cluster network, duplicates) */
  forwardRemoved: number;
}

/**
 * Replaces podnet's table (one `nft -f` transaction) and, when an iptables FORWARD chain
 * exists, makes podnet's accepts in it exactly the rendered ones. Safe to call again:
 * an applied firewall is left as it is. If a later step fails, calling again converges.
 */
export function applyFirewall(input: FirewallInput, opts: FirewallOptions = {}): ApplyResult {
  const rules = renderFirewall(input);
  step(`load table ${TABLE_FAMILY} ${TABLE_NAME}`, () => nft(rules.nft, opts));
  const chain = forwardChain(opts);
  requireIptables(chain);
  if (!chain.exists) return { forwardChain: false, forwardInserted: 0, forwardRemoved: 0 };

  const key = (args: string[]) => args.join(' ');
  const wanted = new Set(rules.forwardAccept.map(key));
  const kept = new Set<string>();
  let forwardRemoved = 0;
  for (const args of ownForwardRules(opts)) {
    if (wanted.has(key(args)) && !kept.has(key(args))) {
      kept.add(key(args));
      continue;
    }
    step('remove a stale podnet FORWARD rule', () => iptables(['-w', '-D', 'FORWARD', ...args], opts));
    forwardRemoved++;
  }
  // Inserted in reverse at position 1, so they end up at the top in rendered order.
  const toInsert = rules.forwardAccept.filter((args) => !kept.has(key(args)));
  for (const args of [...toInsert].reverse()) {
    step('insert a podnet FORWARD accept', () => iptables(['-w', '-I', 'FORWARD', '1', ...args], opts));
  }
  return { forwardChain: true, forwardInserted: toInsert.length, forwardRemoved };
}

export interface RemoveResult {
  tableRemoved: boolean;
  forwardRemoved: number;
}

/** Deletes podnet's table and exactly its own FORWARD rules. Nothing there is not an error. */
export function removeFirewall(opts: FirewallOptions = {}): RemoveResult {
  const tableRemoved = tablePresent(opts);
  // Creating it empty first makes the delete succeed whether or not it was there.
  const t = `${TABLE_FAMILY} ${TABLE_NAME}`;
  step(`delete table ${t}`, () => nft(`table ${t} {}\ndelete table ${t}\n`, opts));
  const chain = forwardChain(opts);
  if (!chain.exists) return { tableRemoved, forwardRemoved: 0 };
  requireIptables(chain);
  const own = ownForwardRules(opts);
  for (const args of own) step('remove a podnet FORWARD rule', () => iptables(['-w', '-D', 'FORWARD', ...args], opts));
  return { tableRemoved, forwardRemoved: own.length };
}

interface NftRule {
  rule?: { chain: string; expr: Record<string, unknown>[] };
  chain?: { name: string };
}

function readTable(opts: FirewallOptions): NftRule[] | null {
  try {
    return (nftJson(['list', 'table', TABLE_FAMILY, TABLE_NAME], opts) as { nftables: NftRule[] }).nftables;
  } catch (e) {
    if (missing(e)) return null;
    throw wrap(`read table ${TABLE_FAMILY} ${TABLE_NAME}`, e);
  }
}

function tablePresent(opts: FirewallOptions): boolean {
  return readTable(opts) !== null;
}

export interface FirewallFacts {
  /** the iptables FORWARD policy; unknown when there is no such chain */
  forwardPolicy: ForwardPolicy;
  iptablesBackend: IptablesBackend;
  table: boolean;
  masquerade: boolean;
  /** the table has an input chain (restrictInput) */
  inputRestricted: boolean;
  /** podnet's `-s NET` and `-d NET` accepts are both in FORWARD (for the same NET) */
  forwardAccepts: boolean;
  /** podnet's FORWARD rules as `iptables -S` prints them */
  forwardRules: string[][];
}

/** What the kernel has, for the agent to report; reads only. */
export function firewallFacts(opts: FirewallOptions = {}): FirewallFacts {
  const objects = readTable(opts);
  const rules = (objects ?? []).flatMap((o) => (o.rule ? [o.rule] : []));
  const chain = forwardChain(opts);
  const forwardRules = chain.exists && chain.backend !== 'none' ? ownForwardRules(opts) : [];
  const accepts = (flag: string) =>
    new Set(forwardRules.filter((a) => a[0] === flag && a.at(-1) === 'ACCEPT').map((a) => a[1]));
  const to = accepts('-d');
  return {
    forwardPolicy: chain.policy,
    iptablesBackend: chain.backend,
    table: objects !== null,
    masquerade: rules.some((r) => r.chain === 'postrouting' && r.expr.some((x) => 'masquerade' in x)),
    inputRestricted: (objects ?? []).some((o) => o.chain?.name === 'input'),
    forwardAccepts: [...accepts('-s')].some((net) => to.has(net)),
    forwardRules,
  };
}
