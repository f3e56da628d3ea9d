// Who may see the dashboard and who may frame it: the optional access token and the
// CSP frame-ancestors list, decided per request by proxy.ts. Pure apart from reading
// the configuration once, so the rules are unit-tested without a server.
import { timingSafeEqual } from 'node:crypto';
import { dashboardToken, loadConfig } from './config';

export const TOKEN_COOKIE = 'podnet_token';

export interface AccessPolicy {
  token: string | null;
  /** the CSP frame-ancestors value: "'none'" unless origins are configured */
  frameAncestors: string;
}

let cached: AccessPolicy | null = null;

export function accessPolicy(): AccessPolicy {
  if (!cached) {
    const config = loadConfig();
    const origins = config.PODNET_FRAME_ANCESTORS.split(/\s+/).filter(Boolean);
    cached = { token: dashboardToken(config), frameAncestors: origins.length ? origins.join(' ') : "'none'" };
  }
  return cached;
}

export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export type AccessDecision = { allow: true; setCookie: boolean } | { allow: false; reason: string };

/** A request may come in with the token as a bearer header (scripts), a cookie (the
 *  page after its first visit) or `?token=` (the first visit, or an embedding portal). */
export function decideAccess(policy: AccessPolicy, req: { authorization: string | null; cookie: string | null; queryToken: string | null }): AccessDecision {
  if (policy.token === null) return { allow: true, setCookie: false };
  const bearer = req.authorization?.startsWith('Bearer ') ? req.authorization.slice(7) : null;
  if (tokenMatches(bearer, policy.token) || tokenMatches(req.cookie, policy.token)) return { allow: true, setCookie: false };
  if (tokenMatches(req.queryToken, policy.token)) return { allow: true, setCookie: true };
  const offered = bearer ?? req.cookie ?? req.queryToken;
  return { allow: false, reason: offered ? 'the access token given is not the dashboard\'s token' : 'this dashboard needs its access token: open it with ?token=<token> (podnet up prints the full URL) or send "Authorization: Bearer <token>"' };
}
