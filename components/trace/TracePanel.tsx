'use client';
// The trace panel: from a pod to a pod or an address (optionally a TCP port), hop by hop,
// there and back, with the kernel's answer at every hop, the live probe, and where the
// path breaks with its fix. The hops fill in as the answers come; the session's earlier
// traces sit below for comparison.
import { useEffect, useRef, type RefObject } from 'react';
import type { Topology } from '../../lib/model/topology';
import type { TraceResult } from '../../lib/model/trace';
import { EndpointInput, inputClass } from './EndpointInput';
import { HopList } from './HopList';
import { ProbeOutcome } from './ProbeOutcome';
import { TraceHistory } from './TraceHistory';
import { TraceSave } from './TraceSave';
import { TraceSummary } from './TraceSummary';
import { parsePortInput } from './trace-link';
import { breakHop, diagnosesByHop, endpointName, traceProgress } from './trace-view';
import type { TraceSession } from './use-trace-session';
import { primaryButton, secondaryButton } from '../panels/button-styles';
import { clockTime } from '../panels/ConnectionBadge';
import type { Remote } from '../data/use-remote-list';

function TraceForm({
  s,
  topology,
  pickOnGraph,
  remote,
}: {
  s: TraceSession;
  topology: Topology | null;
  pickOnGraph: (from: string) => void;
  remote?: Remote;
}) {
  const { draft, setDraft, run } = s;
  const port = parsePortInput(draft.port);
  const ready = draft.from.trim() !== '' && draft.to.trim() !== '' && port.ok;
  const submit = () => {
    if (ready && port.ok) s.trace({ from: draft.from.trim(), to: draft.to.trim(), port: port.port });
  };
  return (
    <form
      data-testid="trace-form"
      aria-label="Trace a path"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      className="space-y-2"
    >
      <div className="grid grid-cols-[1fr_auto_1fr] items-end gap-1.5">
        <EndpointInput
          label="From (pod)"
          testId="trace-from"
          value={draft.from}
          onChange={(v) => setDraft({ ...draft, from: v })}
          topology={topology}
          remote={remote}
          allowIp={false}
          placeholder="web-1 or ns/name"
          onSubmit={submit}
        />
        <button
          type="button"
          aria-label="Swap source and destination"
          title="Swap source and destination"
          onClick={() => setDraft({ ...draft, from: draft.to, to: draft.from })}
          className="mb-0.5 rounded px-1.5 py-0.5 text-sm hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:hover:bg-slate-800"
        >
          ⇄
        </button>
        <EndpointInput
          label="To (pod or IPv4)"
          testId="trace-to"
          value={draft.to}
          onChange={(v) => setDraft({ ...draft, to: v })}
          topology={topology}
          remote={remote}
          allowIp
          placeholder="web-3 or 10.244.2.200"
          onSubmit={submit}
        />
      </div>
      <div className="flex flex-wrap items-end gap-2">
        <div className="w-24">
          <label htmlFor="trace-port" className="mb-0.5 block text-xs font-medium text-slate-700 dark:text-slate-300">
            TCP port
          </label>
          <input
            id="trace-port"
            data-testid="trace-port"
            inputMode="numeric"
            value={draft.port}
            onChange={(e) => setDraft({ ...draft, port: e.target.value })}
            placeholder="optional"
            aria-invalid={!port.ok}
            className={inputClass}
          />
        </div>
        <button type="submit" data-testid="trace-run" disabled={!ready} className={primaryButton}>
          {run.running ? 'Trace again' : 'Trace'}
        </button>
        {run.running && (
          <button type="button" data-testid="trace-stop" onClick={run.stop} className={secondaryButton}>
            Stop
          </button>
        )}
        {(run.result || run.error) && !run.running && (
          <button
            type="button"
            data-testid="trace-clear"
            onClick={run.clear}
            className={secondaryButton}
            title="Take the trace off the graph"
          >
            Clear
          </button>
        )}
        {!s.picking && (
          <button
            type="button"
            data-testid="trace-pick"
            disabled={draft.from.trim() === ''}
            onClick={() => pickOnGraph(draft.from.trim())}
            title={
              draft.from.trim()
                ? `Trace from ${draft.from.trim()} to the pod you click on the graph`
                : 'Choose the source first'
            }
            className="ml-auto self-center text-xs text-sky-700 underline underline-offset-2 hover:text-sky-900 focus-visible:outline-2 focus-visible:outline-sky-600 disabled:cursor-not-allowed disabled:text-slate-500 disabled:no-underline dark:text-sky-300 dark:hover:text-sky-100"
          >
            or click the destination on the graph
          </button>
        )}
      </div>
      {!port.ok && <p className="text-sm text-red-700 dark:text-red-300">{port.error}</p>}
      {s.picking && (
        <p
          data-testid="trace-picking"
          role="status"
          className="flex flex-wrap items-center gap-2 rounded-md border border-sky-300 bg-sky-50 px-2 py-1 text-sm text-sky-950 dark:border-sky-800 dark:bg-sky-950 dark:text-sky-100"
        >
          <span>
            From <span className="font-mono">{draft.from}</span>: click the destination pod in the graph, or type it
            above.
          </span>
          <button
            type="button"
            onClick={s.cancelPicking}
            className="ml-auto rounded px-1.5 text-xs underline underline-offset-2 focus-visible:outline-2 focus-visible:outline-sky-600"
          >
            Cancel (Esc)
          </button>
        </p>
      )}
    </form>
  );
}

/** Once per trace, when it is known to break at a hop, that hop's diagnosis is scrolled
 *  into view: the panel is taller than the window, and the break is what was asked. */
function useScrollToBreak(box: RefObject<HTMLDivElement | null>, r: TraceResult | null, reopened: boolean) {
  const shown = useRef<string | null>(null);
  const key =
    r && r.status === 'broken' && r.diagnoses[0]?.hop ? `${r.startedAt} ${r.request.from} ${r.request.to}` : null;
  useEffect(() => {
    if (!key || reopened || shown.current === key) return;
    shown.current = key;
    box.current
      ?.querySelector('[data-testid="trace-diagnosis"][data-first="true"]')
      ?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  }, [box, key, reopened]);
}

function TraceBody({ s }: { s: TraceSession }) {
  const { run } = s;
  const r = run.result;
  const box = useRef<HTMLDivElement>(null);
  useScrollToBreak(box, r, run.reopened);
  if (run.error)
    return (
      <p
        data-testid="trace-error"
        role="alert"
        className="mt-3 rounded-md border border-red-300 bg-red-50 px-3 py-2 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/60 dark:text-red-100"
      >
        The trace did not run: {run.error}
      </p>
    );
  if (!r)
    return run.running ? (
      <p className="mt-3 text-sm text-slate-600 dark:text-slate-400">Computing the expected path…</p>
    ) : null;
  const byHop = diagnosesByHop(r);
  const first = r.diagnoses[0] ?? null;
  const hop = breakHop(r);
  const loose = byHop.get(null) ?? [];
  return (
    <div ref={box} data-testid="trace-result" data-status={r.status} data-phase={r.phase} className="mt-3">
      {run.reopened && (
        <p className="mb-2 flex flex-wrap items-center gap-2 text-xs text-slate-700 dark:text-slate-300">
          <span>
            Reopened from this session: traced at {clockTime(r.startedAt)}. The network may have changed since.
          </span>
          <button
            type="button"
            data-testid="trace-rerun"
            onClick={() => run.ask && s.trace(run.ask)}
            className={secondaryButton}
          >
            Run again
          </button>
        </p>
      )}
      {/* the outcome stays in view while the hops scroll under it */}
      <div className="sticky top-0 z-10 -mx-4 bg-white px-4 pt-1 pb-2 dark:bg-slate-950">
        <TraceSummary result={r} running={run.running} />
      </div>
      {loose.map((d) => (
        <p key={d.cause} data-testid="trace-diagnosis" data-kind={d.kind} className="mt-2 text-sm">
          <span className="font-semibold">{d.severity === 'broken' ? 'Broken' : 'Note'}:</span> {d.cause}
          {d.fix ? <span className="block font-mono text-xs">{d.fix.text}</span> : null}
        </p>
      ))}
      <HopList
        title={`There: ${endpointName(r.from)} → ${endpointName(r.to)}`}
        hops={r.forward}
        diagnoses={byHop}
        firstDiagnosis={first}
        breakId={hop?.id ?? null}
      />
      {r.back.length > 0 && (
        <HopList
          title={`Back: ${endpointName(r.to)} → ${endpointName(r.from)}`}
          hops={r.back}
          diagnoses={byHop}
          firstDiagnosis={first}
          breakId={hop?.id ?? null}
        />
      )}
      <ProbeOutcome result={r} progress={traceProgress(r)} />
      {r.notes.length > 0 && (
        <section aria-label="Notes" className="mt-3">
          <h3 className="mb-1 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
            Notes
          </h3>
          <ul data-testid="trace-notes" className="list-disc space-y-0.5 pl-5 text-sm">
            {r.notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </section>
      )}
      {r.phase === 'done' && run.ask && <TraceSave result={r} ask={s.linkAsk ?? run.ask} />}
    </div>
  );
}

/** `pickOnGraph`: wait for a click on the destination (the page may also bring the graph into view) */
export function TracePanel({
  session: s,
  topology,
  pickOnGraph = s.traceFrom,
  remote,
}: {
  session: TraceSession;
  topology: Topology | null;
  pickOnGraph?: (from: string) => void;
  /** the page does not hold every pod: the endpoints' completions ask the server */
  remote?: Remote;
}) {
  return (
    <div data-testid="trace-panel" data-running={s.run.running} className="px-4 py-3">
      <h2 className="mb-2 text-base font-semibold">Trace a path</h2>
      <TraceForm s={s} topology={topology} pickOnGraph={pickOnGraph} remote={remote} />
      <TraceBody s={s} />
      {!s.run.result && !s.run.running && !s.run.error && (
        <p className="mt-3 text-sm text-slate-700 dark:text-slate-300">
          Follows a packet hop by hop, there and back — the pod’s route, its veth, the node’s bridge and routing table,
          the LAN — asks each node’s kernel what it would do, and pings from inside the source pod. Or open a pod and
          press <em>Trace from here</em>.
        </p>
      )}
      <TraceHistory entries={s.history} current={s.run.result} onReopen={s.reopen} />
    </div>
  );
}
