// A trace as a page link: ?trace=FROM,TO[,PORT] — `?trace=default/web-1,default/web-3`,
// `?trace=default/web-1,10.244.2.200,8080`. Pure: the page reads it on load and writes the
// current trace back, so a link pasted into a ticket re-runs the same trace (against the
// network as it is when it is opened).

/** What the page asks trace.run for. */
export interface TraceAsk {
  from: string;
  to: string;
  port: number | null;
}

export const TRACE_PARAM = 'trace';

const validPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65535;

/** Reads `?trace=`; null when absent or not FROM,TO[,PORT] (the server checks the names). */
export function parseTraceParam(value: string | null | undefined): TraceAsk | null {
  if (!value) return null;
  const parts = value.split(',').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) return null;
  const [from, to, port] = parts as [string, string, string | undefined];
  if (!from || !to) return null;
  if (port === undefined || port === '') return { from, to, port: null };
  if (!/^\d{1,5}$/.test(port) || !validPort(Number(port))) return null;
  return { from, to, port: Number(port) };
}

export function formatTraceParam(ask: TraceAsk): string {
  return [ask.from, ask.to, ...(ask.port ? [String(ask.port)] : [])].join(',');
}

/** A link that opens the dashboard at `pageUrl` (origin and path, base path included) and
 *  runs the trace; ':' ',' and '/' stay readable. */
export function traceLink(pageUrl: string, ask: TraceAsk): string {
  const value = encodeURIComponent(formatTraceParam(ask))
    .replace(/%2F/gi, '/')
    .replace(/%2C/gi, ',')
    .replace(/%3A/gi, ':');
  return `${pageUrl}?${TRACE_PARAM}=${value}`;
}

/** Parses the port box: empty is none; anything else must be 1–65535. */
export function parsePortInput(text: string): { ok: true; port: number | null } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: true, port: null };
  if (!/^\d{1,5}$/.test(t) || !validPort(Number(t)))
    return {
      ok: false,
      error: `TCP port must be a number from 1 to 65535, got "${t.length > 12 ? `${t.slice(0, 12)}…` : t}"`,
    };
  return { ok: true, port: Number(t) };
}
