// What a failed schema parse says to a person: where in the object it failed and why,
// in one line ("pods[3].ip: must be an IPv4 address, got 42 (a number)"). Used wherever
// the dashboard reads what another program sent it (agents, the Kubernetes API, the lab's
// inventory). Isomorphic.
import type * as z from 'zod';

/** How many problems one message names; the rest are counted. */
const NAMED = 3;

/** `pods[3].ip`; a key that is not a plain name is JSON-quoted (it came from the sender). */
export function issuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p)).slice(0, 60)}]`;
  }
  return out;
}

/** One line naming the first problems of a failed parse, each at its path below `at`. */
export function describeIssues(error: z.ZodError, at: readonly PropertyKey[] = []): string {
  const issues = error.issues;
  const named = issues.slice(0, NAMED).map((i) => {
    const where = issuePath([...at, ...i.path]);
    return where ? `${where}: ${i.message}` : i.message;
  });
  const more = issues.length - named.length;
  return `${named.join('; ')}${more > 0 ? ` (and ${more} more problem${more > 1 ? 's' : ''})` : ''}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

/** safeParse, with the failure as a sentence. */
export function parseWith<T>(schema: z.ZodType<T>, input: unknown, at: readonly PropertyKey[] = []): Parsed<T> {
  const r = schema.safeParse(input);
  return r.success ? { ok: true, value: r.data } : { ok: false, error: describeIssues(r.error, at) };
}
