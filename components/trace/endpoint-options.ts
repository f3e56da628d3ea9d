// The completions of a trace's endpoint box: pods by name, namespace or IP (the page's own
// search, pods only) and, where a destination may be an address, the typed IPv4 address
// itself when no pod holds it. Pure.
import type { Topology } from '../../lib/model/topology';
import { parseIpv4 } from '../../lib/model/ipv4';
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
  const pods = searchTopology(topology, q).results.filter((r) => r.sel.kind === 'pod');
  const out: EndpointOption[] = pods
    .slice(0, MAX_OPTIONS)
    .map((r) => ({ value: r.sel.key, label: r.label, detail: r.detail }));
  const isAddress = parseIpv4(q) !== null && /^\d+\.\d+\.\d+\.\d+$/.test(q);
  if (allowIp && isAddress && !out.some((o) => topology?.pods.find((p) => p.key === o.value)?.ip === q)) {
    out.unshift({ value: q, label: q, detail: 'an address (no pod holds it)' });
  }
  return out;
}
