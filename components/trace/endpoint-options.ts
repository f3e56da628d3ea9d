// The completions of a trace's endpoint box: pods by name, namespace or IP (the page's own
// search, pods only) and, where a destination may be an address, the typed IPv4 address
// itself when no pod holds it. Pure.
import type { Topology } from '../../lib/model/topology';
import { parseIpv4 } from '../../lib/model/ipv4';
import type { SearchResult } from '../../lib/model/search';
import { searchTopology } from '../panels/SearchBox';

export interface EndpointOption {
  /** what goes into the box and to trace.run */
  value: string;
  label: string;
  detail: string;
}

const MAX_OPTIONS = 12;

export function endpointOptions(topology: Topology | null, query: string, allowIp: boolean): EndpointOption[] {
  const q = query.trim();
  return optionsFrom(searchTopology(topology, q).results, q, allowIp, (key) =>
    topology?.pods.some((p) => p.key === key && p.ip === q),
  );
}

/** The same from the server's search answer (a page that does not hold every pod): a pod
 *  result ranked 0 for an address holds it exactly. */
export function remoteEndpointOptions(results: readonly SearchResult[], query: string, allowIp: boolean) {
  const exact = new Set(results.filter((r) => r.score === 0).map((r) => r.sel.key));
  return optionsFrom(results, query.trim(), allowIp, (key) => exact.has(key));
}

function optionsFrom(
  results: readonly SearchResult[],
  q: string,
  allowIp: boolean,
  holds: (podKey: string) => boolean | undefined,
): EndpointOption[] {
  const out: EndpointOption[] = results
    .filter((r) => r.sel.kind === 'pod')
    .slice(0, MAX_OPTIONS)
    .map((r) => ({ value: r.sel.key, label: r.label, detail: r.detail }));
  const isAddress = parseIpv4(q) !== null && /^\d+\.\d+\.\d+\.\d+$/.test(q);
  if (allowIp && isAddress && !out.some((o) => holds(o.value))) {
    out.unshift({ value: q, label: q, detail: 'an address (no pod holds it)' });
  }
  return out;
}
