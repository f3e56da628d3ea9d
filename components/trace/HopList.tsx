'use client';
// One direction of a trace, hop by hop: where the packet is, the interfaces it crosses,
// the rule that decided, the verdict in words and what the kernel answered there. The hop
// where the path breaks is red with its diagnosis beside it; hops the packet never reaches
// are shown greyed, as the path would be.
import type { Diagnosis, IfaceFact, TraceHop } from '../../lib/model/trace';
import { hopPath, hopRule } from '../../lib/trace/render';
import { DiagnosisBox } from './DiagnosisBox';
import { beyondBreak, KERNEL_LABEL, VERDICT_MARK, VERDICT_WORDS } from './trace-view';

const VERDICT_TONE: Record<TraceHop['verdict'], string> = {
  forwarded: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200',
  delivered: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-950 dark:text-emerald-200',
  dropped: 'bg-red-700 text-white dark:bg-red-600',
  unknown: 'bg-amber-100 text-amber-900 dark:bg-amber-950 dark:text-amber-200',
};

const KERNEL_TONE: Record<TraceHop['kernel'], string> = {
  agrees: 'text-emerald-800 dark:text-emerald-300',
  disagrees: 'font-semibold text-red-700 dark:text-red-300',
  'not-verified': 'text-slate-600 dark:text-slate-400',
  pending: 'text-slate-500 dark:text-slate-400',
};

const KERNEL_MARK: Record<TraceHop['kernel'], string> = {
  agrees: '✓',
  disagrees: '≠',
  'not-verified': '–',
  pending: '…',
};

function ifaceWords(f: IfaceFact | null): string | null {
  if (!f) return null;
  return `${f.name}: ${f.state}${f.mtu ? `, mtu ${f.mtu}` : ''}${f.master ? `, port of ${f.master}` : ''}`;
}

/** The facts behind a hop's verdict, for whoever wants them. */
function HopFacts({ h }: { h: TraceHop }) {
  const rows: [string, string][] = [];
  for (const [k, f] of [
    ['in', h.in],
    ['bridge', h.bridge],
    ['out', h.out],
  ] as const) {
    const w = ifaceWords(f);
    if (w) rows.push([k, w]);
  }
  if (h.neighbour) rows.push(['neighbour', `${h.neighbour.address} dev ${h.neighbour.dev}: ${h.neighbour.state}`]);
  if (h.firewall)
    rows.push(['firewall', `${h.firewall.verdict}: ${h.firewall.why}${h.firewall.masquerade ? ' (masqueraded)' : ''}`]);
  if (h.settings)
    rows.push([
      'settings',
      `ip_forward ${h.settings.ipForward === null ? '?' : h.settings.ipForward ? 1 : 0}, rp_filter ${h.settings.rpFilter ?? '?'}`,
    ]);
  if (!h.agentLive) rows.push(['agent', 'none answers here: expected only']);
  if (rows.length === 0) return null;
  return (
    <details className="mt-0.5">
      <summary className="cursor-pointer text-xs text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100">
        facts: interfaces, firewall, settings
      </summary>
      <dl className="mt-1 grid grid-cols-[auto_1fr] gap-x-2 gap-y-0.5 text-xs">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-600 dark:text-slate-400">{k}</dt>
            <dd className="min-w-0 break-words font-mono">{v}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

export function HopList({
  title,
  hops,
  diagnoses,
  firstDiagnosis,
  breakId,
}: {
  title: string;
  hops: TraceHop[];
  diagnoses: Map<string | null, Diagnosis[]>;
  firstDiagnosis: Diagnosis | null;
  breakId: string | null;
}) {
  const beyond = beyondBreak(hops);
  return (
    <section aria-label={title} className="mt-3">
      <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">{title}</h3>
      <ol className="space-y-1">
        {hops.map((h) => {
          const isBreak = h.id === breakId;
          const dropped = h.verdict === 'dropped';
          const after = beyond.has(h.id);
          const own = diagnoses.get(h.id) ?? [];
          return (
            <li
              key={h.id}
              data-testid="trace-hop"
              data-hop-id={h.id}
              data-verdict={h.verdict}
              data-kernel={h.kernel}
              data-break={isBreak || undefined}
              data-beyond={after || undefined}
              aria-current={isBreak ? 'step' : undefined}
              className={`rounded-md border px-2 py-1 ${
                isBreak
                  ? 'border-red-500 bg-red-50 dark:border-red-500 dark:bg-red-950/40'
                  : dropped
                    ? 'border-red-300 dark:border-red-800'
                    : 'border-slate-200 dark:border-slate-800'
              } ${after ? 'opacity-60' : ''}`}
            >
              <div className="flex items-start gap-2">
                <span className="mt-0.5 inline-flex h-5 w-5 shrink-0 items-center justify-center rounded-full bg-slate-200 text-xs font-semibold text-slate-800 dark:bg-slate-700 dark:text-slate-100">
                  <span className="sr-only">hop </span>
                  {h.index}
                </span>
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-baseline gap-x-2">
                    <span className="text-sm font-semibold [overflow-wrap:anywhere]">{h.where.name}</span>
                    <span className="text-xs text-slate-600 dark:text-slate-400">
                      {h.where.kind === 'lan' ? 'the LAN' : h.where.kind}
                    </span>
                    <span className="ml-auto flex shrink-0 items-center gap-1.5">
                      <span data-testid="hop-kernel" className={`text-xs ${KERNEL_TONE[h.kernel]}`}>
                        <span aria-hidden="true">{KERNEL_MARK[h.kernel]} </span>
                        {KERNEL_LABEL[h.kernel]}
                      </span>
                      <span
                        data-testid="hop-verdict"
                        className={`rounded px-1.5 text-xs font-semibold ${VERDICT_TONE[h.verdict]}`}
                      >
                        <span aria-hidden="true">{VERDICT_MARK[h.verdict]} </span>
                        {dropped ? VERDICT_WORDS[h.verdict].toUpperCase() : VERDICT_WORDS[h.verdict]}
                      </span>
                    </span>
                  </div>
                  {hopPath(h) && (
                    <p className="font-mono text-xs text-slate-700 [overflow-wrap:anywhere] dark:text-slate-300">
                      {hopPath(h)}
                    </p>
                  )}
                  <p className="font-mono text-xs text-slate-700 [overflow-wrap:anywhere] dark:text-slate-300">
                    <span className="font-sans text-slate-600 dark:text-slate-400">rule </span>
                    {hopRule(h)}
                  </p>
                  <p
                    data-testid="hop-reason"
                    className={`mt-0.5 text-sm ${dropped ? 'font-medium text-red-800 dark:text-red-200' : 'text-slate-800 dark:text-slate-200'}`}
                  >
                    {after ? (
                      <span className="text-slate-600 dark:text-slate-400">Not reached (beyond the break): </span>
                    ) : null}
                    {h.reason}
                  </p>
                  {h.kernelSays && (
                    <p
                      className={`text-xs ${h.kernel === 'disagrees' ? 'font-medium text-red-800 dark:text-red-200' : 'text-slate-700 dark:text-slate-300'}`}
                    >
                      the kernel says: <span className="font-mono">{h.kernelSays}</span>
                    </p>
                  )}
                  <HopFacts h={h} />
                  {own.map((d) => (
                    <DiagnosisBox key={`${d.kind} ${d.cause}`} diagnosis={d} first={d === firstDiagnosis} />
                  ))}
                </div>
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
