// The dashboard's door, tried in real Chromium the way a person and an attacker would:
// the sign-in form keeps a deep link, ?token= becomes a session cookie that holds no key,
// a name that is not the dashboard's (DNS rebinding, simulated with Chromium's own
// resolver rules) is refused, another site cannot call the API, a portal on another site
// frames the page over HTTPS (a CA made here) with the key in the frame's first URL, and a
// new key file ends every session without a restart.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from '@playwright/test';
import { expect, test } from './test';
import { readEnv } from './env';
import { dashboard, freePort } from './global-setup';
import { makePki, spkiHash } from '../test/pki';

const env = readEnv();
// No bearer header here: these tests are about what a browser without one meets.
test.use({ extraHTTPHeaders: {} });

/** a raw request with headers a browser would not let a page set (Host, Origin) */
function raw(
  url: string,
  headers: Record<string, string>,
  method = 'GET',
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let data = '';
      res.on('data', (d) => (data += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test.describe('the sign-in form', () => {
  // The form comes with a 401, and a wrong key gets it again: Chromium logs each.
  test.use({ allowedConsoleError: /Failed to load resource: the server responded with a status of 401/ });

  test('a browser without the key gets the sign-in form, which keeps the deep link it came for', async ({
    page,
    context,
  }) => {
    await page.goto(`${env.url}?select=pod:default/web-1`);
    const form = page.getByTestId('signin');
    await expect(form).toBeVisible();
    await page.screenshot({ path: 'e2e/artifacts/signin.png' });
    await page.locator('#key').fill('not-the-key-not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert')).toContainText("not this dashboard's key");
    await page.locator('#key').fill(env.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
    expect(new URL(page.url()).searchParams.get('select')).toBe('pod:default/web-1');
    await expect(page.getByTestId('side-panel')).toContainText('web-1');
    await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'live');
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({ name: 'podnet_session', httpOnly: true, sameSite: 'Lax' });
    expect(cookie!.value).not.toContain(env.key);
    expect(cookie!.expires * 1000 - Date.now()).toBeGreaterThan(3600_000); // an expiry, hours away
  });
});

test('the URL podnet prints (?token=…) signs in once and the key leaves the address bar', async ({ page }) => {
  await page.goto(`${env.url}?token=${encodeURIComponent(env.key)}&select=node:node2`);
  await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
  expect(page.url()).not.toContain('token=');
  expect(new URL(page.url()).searchParams.get('select')).toBe('node:node2');
  // and a script without the key gets a 401 that says what to do, not the page
  const bare = await raw(`${env.url}api/trpc/cluster.info`, {});
  expect(bare.status).toBe(401);
  expect(bare.body).toContain('Authorization: Bearer');
});

test("another site cannot drive the API, and a name that is not the dashboard's is refused (DNS rebinding)", async () => {
  const bearer = { authorization: `Bearer ${env.key}` };
  const probe = JSON.stringify({ kind: 'ping', from: 'default/web-1', to: '10.244.2.2' });
  const post = (h: Record<string, string>) =>
    raw(`${env.url}api/trpc/probe.run`, { ...bearer, 'content-type': 'application/json', ...h }, 'POST', probe);
  expect((await post({ origin: 'http://evil.example' })).status).toBe(403);
  expect((await post({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
  const host = new URL(env.url).host;
  expect((await post({ origin: `http://${host}` })).status).toBe(200); // its own page may
  const rebound = await raw(`${env.url}api/trpc/cluster.info`, { ...bearer, host: 'evil.example' });
  expect(rebound.status).toBe(403);
  expect(rebound.body).toContain('--allowed-host');
  expect((await raw(`${env.url}healthz`, { host: 'evil.example' })).status).toBe(200); // kubelet probes pass
});

test.describe('over HTTPS, framed by a portal on another site', () => {
  let dir = '';
  let browser: Browser | null = null;
  const servers: Server[] = [];
  let dash: { url: string; pid: number } | null = null;
  let keyFile = '';
  let portalUrl = '';
  let dashboardHttps = '';
  const key = randomBytes(24).toString('base64url');

  test.beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'podnet-e2e-tls-'));
    // A CA of this test, and one certificate for both sites (localhost and 127.0.0.1).
    makePki(dir, 'ca', 'site', ['DNS:localhost', 'IP:127.0.0.1']);
    const spki = spkiHash(dir, 'site');
    const tls = {
      key: readFileSync(join(dir, 'site.key')),
      cert: Buffer.concat([readFileSync(join(dir, 'site.pem')), readFileSync(join(dir, 'ca.pem'))]),
    };

    keyFile = join(dir, 'dashboard.key');
    writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
    const [portalPort, tlsPort] = [await freePort(), await freePort()];
    portalUrl = `https://localhost:${portalPort}/`;
    dashboardHttps = `https://127.0.0.1:${tlsPort}/`;
    dash = await dashboard(
      [
        '--lab-id',
        env.labId,
        '--port',
        String(await freePort()),
        '--frame-ancestors',
        `https://localhost:${portalPort}`,
      ],
      keyFile,
    );
    const upstream = new URL(dash.url);

    // TLS in front of the dashboard, as an ingress would be: it keeps the Host and says
    // the request came over HTTPS.
    const front = createHttpsServer(tls, (req, res) => {
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, 'x-forwarded-proto': 'https' },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    });
    const portal = createHttpsServer(tls, (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!doctype html><title>portal</title><h1>portal</h1><iframe id="podnet" src="${dashboardHttps}embed?node=node2&token=${key}" width="900" height="600"></iframe>`,
      );
    });
    await Promise.all([
      new Promise<void>((r) => front.listen(tlsPort, '127.0.0.1', r)),
      new Promise<void>((r) => portal.listen(portalPort, '127.0.0.1', r)),
    ]);
    servers.push(front, portal);
    const base = test.info().project.use.launchOptions!;
    // The certificate is trusted by its key (the CA above signed it); evil.example resolves
    // to loopback, as a rebinding attacker's name would.
    browser = await chromium.launch({
      ...base,
      args: [
        ...(base.args ?? []),
        `--ignore-certificate-errors-spki-list=${spki}`,
        '--host-resolver-rules=MAP evil.example 127.0.0.1',
      ],
    });
  });

  test.afterAll(async () => {
    await browser?.close();
    for (const s of servers) s.close();
    if (dash) process.kill(dash.pid, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the portal frames the embed view with the key in the frame URL; the cookie is Secure, SameSite=None, and holds no key', async () => {
    const context = await browser!.newContext({ viewport: { width: 1200, height: 800 } });
    try {
      const page = await context.newPage();
      const csp: string[] = [];
      page.on('console', (m) => /Content[ -]Security[ -]Policy/i.test(m.text()) && csp.push(m.text()));
      await page.goto(portalUrl);
      const frame = page.frameLocator('#podnet');
      await expect(frame.getByTestId('embed')).toBeVisible();
      await expect(frame.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
      await expect(frame.getByTestId('graph')).toHaveAttribute('data-nodes', '1');
      await page.screenshot({ path: 'e2e/artifacts/embed-cross-site-https.png' });
      const frameUrl = page
        .frames()
        .find((f) => f !== page.mainFrame())!
        .url();
      expect(frameUrl).not.toContain('token=');
      const cookies = await context.cookies(dashboardHttps);
      expect(cookies).toEqual([
        expect.objectContaining({ name: 'podnet_session', secure: true, sameSite: 'None', httpOnly: true }),
      ]);
      expect(cookies[0]!.value).not.toContain(key);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  test('a name that only resolves to the dashboard (DNS rebinding) gets nothing', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      const port = new URL(dash!.url).port;
      const res = await page.goto(`http://evil.example:${port}/?token=${key}`);
      expect(res!.status()).toBe(403);
      await expect(page.locator('body')).toContainText('--allowed-host');
    } finally {
      await context.close();
    }
  });

  test('a new key file ends every session without a restart', async () => {
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${dashboardHttps}?token=${key}`);
      await expect(page.getByTestId('graph')).toHaveAttribute('data-ready', 'true');
      writeFileSync(keyFile, `${randomBytes(24).toString('base64url')}\n`, { mode: 0o600 });
      await page.reload();
      await expect(page.getByTestId('signin')).toBeVisible();
      await expect(page.getByTestId('signin')).toContainText('sign in again');
    } finally {
      writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
      await context.close();
    }
  });
});
