// References a user or a request gives: a pod (NAME in the default namespace, or
// NAMESPACE/NAME) or an IPv4 address, checked with messages that say what was wrong and
// what is allowed. Pure and isomorphic, without a schema library: the CLI loads it on
// every trace, and a fast start matters there.
import { isIpv6Literal, parseIpv4 } from './ipv4';
import { K8S_NAMESPACE, parsePodRef, podRef } from './lab';

/** The longest `to` or `from.pod`: a namespace (63) "/" a pod name (253). */
export const MAX_REF_LENGTH = 63 + 1 + 253;

/** Pod names are DNS subdomains: lower-case labels of letters, digits and "-", joined by ".". */
const K8S_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const TARGET_HELP = 'a pod (web-4, or NAMESPACE/NAME) or an IPv4 address (10.244.2.3)';
const POD_HELP =
  'a pod as NAME (default namespace) or NAMESPACE/NAME: lower-case letters, digits, "-" and "." (names), at most one "/"';

/** A value as it may appear in an error message: strings JSON-quoted (control characters
 *  escaped, so a newline cannot forge a line) and shortened. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') {
    const s = JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    return `${s}${v.length > 40 ? ` (${v.length} characters)` : ''}`;
  }
  if (typeof v === 'number' || typeof v === 'boolean') return `${String(v)} (a ${typeof v})`;
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** The first character a pod reference may not hold, shown escaped. */
function badChar(s: string): string | null {
  const m = /[^a-z0-9.\-/]/.exec(s);
  if (!m) return null;
  const c = m[0];
  if (/[A-Z]/.test(c)) return `upper-case "${c}" (Kubernetes names are lower case)`;
  return c === ' ' ? 'a space' : JSON.stringify(c);
}

/** Why `ref` is not a pod reference, or null. */
export function podRefProblem(ref: string, field: string): string | null {
  if (ref === '') return `${field} is empty: give ${POD_HELP}`;
  if (ref.length > MAX_REF_LENGTH) return `${field} is too long (${ref.length} characters, at most ${MAX_REF_LENGTH})`;
  const bad = badChar(ref);
  if (bad) return `${field} ${showValue(ref)} is not a pod reference: it contains ${bad}; give ${POD_HELP}`;
  const parts = ref.split('/');
  if (parts.length > 2) return `${field} ${showValue(ref)} has more than one "/": give ${POD_HELP}`;
  const { namespace, name } = parsePodRef(ref);
  if (parts.length === 2 && !K8S_NAMESPACE.test(namespace)) {
    return `${field} ${showValue(ref)}: namespace ${showValue(namespace)} is not a Kubernetes namespace name (1-63 lower-case letters, digits and "-", starting and ending with a letter or digit)`;
  }
  if (name.length > 253 || !K8S_SUBDOMAIN.test(name)) {
    return `${field} ${showValue(ref)}: ${showValue(name)} is not a Kubernetes pod name (lower-case letters, digits, "-" and ".", at most 253, starting and ending with a letter or digit)`;
  }
  return null;
}

export type ProbeTarget = { ip: string } | { pod: string };

/** `to` as an address or a pod reference, or why it is neither. */
export function classifyTarget(to: string): { ok: true; target: ProbeTarget } | { ok: false; error: string } {
  if (to === '') return { ok: false, error: `to is empty: give ${TARGET_HELP}` };
  if (to.length > MAX_REF_LENGTH)
    return { ok: false, error: `to is too long (${to.length} characters, at most ${MAX_REF_LENGTH})` };
  if (isIpv6Literal(to) && (to.match(/:/g) ?? []).length >= 2 && /^[0-9a-fA-F:.]+(%[A-Za-z0-9_.-]+)?$/.test(to)) {
    return { ok: false, error: `to ${showValue(to)}: IPv6 is not supported yet; give ${TARGET_HELP}` };
  }
  // All digits and dots: meant as an address, never read as a pod name.
  if (/^[0-9.]+$/.test(to)) {
    const n = parseIpv4(to);
    if (n === null)
      return {
        ok: false,
        error: `to ${showValue(to)} is not an IPv4 address: four numbers 0-255 separated by dots, without leading zeros`,
      };
    const first = n >>> 24;
    if (first === 0) return { ok: false, error: `to ${to} is in 0.0.0.0/8 ("this network"), which cannot be probed` };
    if (first >= 224 && first < 240)
      return { ok: false, error: `to ${to} is a multicast address: give a unicast address` };
    if (first >= 240)
      return { ok: false, error: `to ${to} is a reserved or broadcast address: give a unicast address` };
    return { ok: true, target: { ip: to } };
  }
  const bad = badChar(to);
  if (bad)
    return {
      ok: false,
      error: `to ${showValue(to)} is neither an IPv4 address nor a pod: it contains ${bad}; give ${TARGET_HELP}`,
    };
  const problem = podRefProblem(to, 'to');
  if (problem) return { ok: false, error: problem };
  return { ok: true, target: { pod: podRef(parsePodRef(to)) } };
}
