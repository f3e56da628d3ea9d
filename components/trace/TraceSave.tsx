'use client';
// A finished trace saved for a ticket: the whole result as JSON, or as Markdown with a
// link that re-runs it — against the network as it is when the link is opened.
import type { TraceResult } from '../../lib/model/trace';
import { renderTraceMarkdown } from '../../lib/trace/render';
import { secondaryButton } from '../panels/button-styles';
import { downloadText, exportName } from '../panels/ExportButtons';
import { traceLink, type TraceAsk } from './trace-link';

/** The dashboard's own address (base path included), without its query. */
const pageUrl = () => `${window.location.origin}${window.location.pathname}`;

export const traceFileName = (r: TraceResult, at = new Date(r.startedAt)) =>
  exportName(`trace ${r.from.pod ?? r.from.ref} ${r.to.pod ?? r.to.ip ?? r.to.ref}`, at);

export function TraceSave({ result, ask }: { result: TraceResult; ask: TraceAsk }) {
  return (
    <div className="mt-3 border-t border-slate-200 pt-2 dark:border-slate-800">
      <div role="group" aria-label="Save this trace" className="flex flex-wrap items-center gap-1.5">
        <span className="text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">Save</span>
        <button
          type="button"
          data-testid="trace-save-md"
          className={secondaryButton}
          onClick={() =>
            downloadText(
              renderTraceMarkdown(result, traceLink(pageUrl(), ask)),
              'text/markdown',
              `${traceFileName(result)}.md`,
            )
          }
        >
          Markdown
        </button>
        <button
          type="button"
          data-testid="trace-save-json"
          className={secondaryButton}
          onClick={() =>
            downloadText(JSON.stringify(result, null, 2), 'application/json', `${traceFileName(result)}.json`)
          }
        >
          JSON
        </button>
      </div>
      <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
        The Markdown carries a link that runs this trace again — against the network as it is then, which may have
        changed.
      </p>
    </div>
  );
}
