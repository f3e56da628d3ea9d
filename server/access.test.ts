import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  decideAccess,
  hostAllowed,
  keyMatches,
  newSession,
  policyOf,
  readKey,
  safeNext,
  sessionId,
  SESSION_TTL_S,
  type AccessRequest,
} from './access';
import { admitProbe, RateLimiter } from './audit';
import { loadConfig } from './config';

const dir = mkdtempSync(join(tmpdir(), 'podnet-access-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const KEY = 'k'.repeat(8) + 'e'.repeat(8) + 'y'.repeat(16);
const keyFile = join(dir, 'key');
writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });

const policy = policyOf(
  loadConfig({
    PODNET_DASHBOARD_TOKEN_FILE: keyFile,
    PODNET_ALLOWED_HOSTS: 'podnet.example.com, dash.internal',
    PODNET_HOST: 'myhost',
  }),
);
const open = policyOf(loadConfig({}));
const req = (over: Partial<AccessRequest> = {}): AccessRequest => ({
  method: 'GET',
  path: '/',
  host: '127.0.0.1:3000',
  origin: null,
  secFetchSite: null,
  accept: 'text/html',
  authorization: null,
  cookie: null,
  queryToken: null,
  ...over,
});

describe('the Host header', () => {
  it.each([
    '127.0.0.1:3000',
    'localhost:3000',
    'LOCALHOST',
    '[::1]:3000',
    '10.0.0.7',
    'podnet.example.com',
    'dash.internal:8443',
    'myhost:3000',
  ])('serves %s', (host) => {
    expect(hostAllowed(policy, host)).toBe(true);
  });
  it.each(['evil.example', 'evil.example:3000', 'localhost.evil.example', 'podnet.example.com.evil', '', 'a b', 'x/y'])(
    'refuses %j (DNS rebinding)',
    (host) => {
      expect(hostAllowed(policy, host)).toBe(false);
      const d = decideAccess(policy, req({ host, authorization: `Bearer ${KEY}` }));
      expect(d).toMatchObject({ allow: false, status: 403 });
    },
  );
  it('refuses a request with no Host, but answers the health path whatever the Host', () => {
    expect(decideAccess(policy, req({ host: null, authorization: `Bearer ${KEY}` }))).toMatchObject({
      allow: false,
      status: 403,
    });
    expect(decideAccess(policy, req({ host: 'evil.example', path: '/healthz' }))).toMatchObject({ allow: true });
  });
});

describe('other sites', () => {
  it('refuses API calls and posts from another origin or a cross-site fetch, even with a valid session', () => {
    const cookie = newSession(KEY).value;
    for (const r of [
      req({ path: '/api/trpc/probe.run', method: 'POST', origin: 'http://evil.example', cookie }),
      req({ path: '/api/trpc/trace.run', origin: 'http://127.0.0.1:9999', cookie }),
      req({ path: '/api/trpc/topology.snapshot', secFetchSite: 'cross-site', cookie }),
      req({ path: '/signin', method: 'POST', origin: 'null' }),
    ])
      expect(decideAccess(policy, r)).toMatchObject({ allow: false, status: 403 });
  });
  it('lets same-origin calls through, with or without an Origin (EventSource sends none)', () => {
    const cookie = newSession(KEY).value;
    expect(
      decideAccess(policy, req({ path: '/api/trpc/trace.run', cookie, secFetchSite: 'same-origin' })),
    ).toMatchObject({ allow: true });
    expect(
      decideAccess(
        policy,
        req({ path: '/api/trpc/probe.run', method: 'POST', origin: 'http://127.0.0.1:3000', cookie }),
      ),
    ).toMatchObject({ allow: true });
  });
  it('lets another site frame the page (a navigation), which then needs the key like any other', () => {
    expect(decideAccess(policy, req({ path: '/embed', secFetchSite: 'cross-site' }))).toMatchObject({
      allow: false,
      status: 401,
      signIn: true,
    });
    expect(decideAccess(policy, req({ path: '/embed', secFetchSite: 'cross-site', queryToken: KEY }))).toMatchObject({
      allow: true,
      startSession: true,
    });
  });
});

describe('the key', () => {
  it('is compared in constant time whatever the lengths', () => {
    expect(keyMatches(KEY, KEY)).toBe(true);
    for (const wrong of ['', 'k', KEY.slice(0, -1), `${KEY}x`, KEY.toUpperCase()])
      expect(keyMatches(wrong, KEY)).toBe(false);
  });
  it('opens the API to a bearer, and refuses a wrong one with 401 and no sign-in page', () => {
    expect(
      decideAccess(policy, req({ path: '/api/trpc/cluster.info', authorization: `Bearer ${KEY}`, accept: '*/*' })),
    ).toEqual({ allow: true, who: 'bearer' });
    expect(
      decideAccess(policy, req({ path: '/api/trpc/cluster.info', authorization: 'Bearer nope', accept: '*/*' })),
    ).toMatchObject({ allow: false, status: 401 });
    expect(decideAccess(policy, req({ path: '/api/trpc/cluster.info', accept: '*/*' }))).toMatchObject({
      allow: false,
      status: 401,
      signIn: false,
    });
  });
  it('gives a browser without it the sign-in form, and one with ?token= a session', () => {
    expect(decideAccess(policy, req())).toMatchObject({ allow: false, status: 401, signIn: true });
    expect(decideAccess(policy, req({ queryToken: 'wrong-key-wrong-key' }))).toMatchObject({
      allow: false,
      reason: expect.stringContaining('not this dashboard'),
    });
    expect(decideAccess(policy, req({ queryToken: KEY }))).toMatchObject({ allow: true, startSession: true });
  });
  it('needs nothing when the dashboard runs without a key (--no-auth)', () => {
    expect(decideAccess(open, req())).toEqual({ allow: true, who: 'anonymous' });
  });
  it('fails closed when the key file goes missing or too short', () => {
    const file = join(dir, 'short');
    writeFileSync(file, 'short\n');
    const p = { ...policy, keyFile: file };
    expect(decideAccess(p, req({ authorization: 'Bearer short' }))).toMatchObject({ allow: false, status: 503 });
    expect(decideAccess({ ...policy, keyFile: join(dir, 'absent') }, req())).toMatchObject({
      allow: false,
      status: 503,
    });
  });
});

describe('sessions', () => {
  it('hold no key, verify with it, and end at their expiry', () => {
    const now = 1_900_000_000;
    const s = newSession(KEY, now);
    expect(s.value).not.toContain(KEY);
    expect(sessionId(s.value, KEY, now + 60)).toBe(s.id);
    expect(sessionId(s.value, KEY, now + SESSION_TTL_S + 1)).toBeNull();
  });
  it('cannot be forged: a changed expiry, id or mac, or another key, fails', () => {
    const now = 1_900_000_000;
    const s = newSession(KEY, now);
    const [v, exp, id, mac] = s.value.split('.');
    expect(sessionId(`${v}.${Number(exp) + 3600}.${id}.${mac}`, KEY, now)).toBeNull();
    expect(sessionId(`${v}.${exp}.${'A'.repeat(16)}.${mac}`, KEY, now)).toBeNull();
    expect(sessionId(`${v}.${exp}.${id}.${'A'.repeat(43)}`, KEY, now)).toBeNull();
    expect(sessionId(s.value, `${KEY}-rotated`, now)).toBeNull();
    expect(sessionId(KEY, KEY, now)).toBeNull();
  });
  it('end when the key file is replaced, without a restart', () => {
    const file = join(dir, 'rotating');
    writeFileSync(file, 'a'.repeat(32));
    const p = { ...policy, keyFile: file };
    const cookie = newSession('a'.repeat(32)).value;
    expect(decideAccess(p, req({ cookie }))).toMatchObject({ allow: true });
    writeFileSync(file, 'b'.repeat(33));
    expect(readKey(file)).toEqual({ key: 'b'.repeat(33) });
    expect(decideAccess(p, req({ cookie }))).toMatchObject({
      allow: false,
      status: 401,
      reason: expect.stringContaining('sign in again'),
    });
    expect(decideAccess(p, req({ authorization: `Bearer ${'a'.repeat(32)}` }))).toMatchObject({ allow: false });
    expect(decideAccess(p, req({ authorization: `Bearer ${'b'.repeat(33)}` }))).toMatchObject({ allow: true });
  });
});

describe('where the sign-in form sends the browser', () => {
  it('keeps a deep link of this dashboard', () => {
    expect(safeNext('/?select=pod:default/web-1', '')).toBe('/?select=pod:default/web-1');
    expect(safeNext('/portal/podnet/embed?trace=default/a,default/b', '/portal/podnet')).toBe(
      '/portal/podnet/embed?trace=default/a,default/b',
    );
  });
  it.each([
    '//evil.example/',
    'https://evil.example/',
    '/\\evil.example',
    'javascript:alert(1)',
    '',
    '/other/app',
    '/\nx',
  ])('never elsewhere: %j', (next) => {
    expect(safeNext(next, next === '/other/app' ? '/portal' : '')).toBe(next === '/other/app' ? '/portal/' : '/');
  });
});

describe('probes and traces', () => {
  it('are limited per caller, and each run is logged with who, kind, from and to', () => {
    let now = 0;
    const limiter = new RateLimiter(3, () => now);
    const lines: string[] = [];
    const headers = (who: string) => new Headers({ 'x-podnet-who': who });
    const run = { kind: 'ping', from: 'default/web-1', to: '10.244.2.2' };
    for (let i = 0; i < 3; i++) admitProbe(limiter, headers('session:a'), run, (l) => lines.push(l));
    expect(() => admitProbe(limiter, headers('session:a'), run, (l) => lines.push(l))).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_REQUESTS' }),
    );
    admitProbe(limiter, headers('session:b'), run, (l) => lines.push(l)); // another caller has its own budget
    now += 20_000; // a third of a minute refills one run
    admitProbe(limiter, headers('session:a'), run, (l) => lines.push(l));
    expect(lines.map((l) => JSON.parse(l))).toEqual(
      ['session:a', 'session:a', 'session:a', 'session:a', 'session:b', 'session:a'].map((who, i) =>
        expect.objectContaining({
          event: 'probe',
          who,
          kind: 'ping',
          from: 'default/web-1',
          to: '10.244.2.2',
          admitted: i !== 3,
        }),
      ),
    );
  });
});
