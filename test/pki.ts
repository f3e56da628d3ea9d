// A CA of a test's own and a certificate it signs, as PEM files in a directory the test
// owns (and removes): the agent's TLS tests and the dashboard's HTTPS e2e test use it.
// Made by podnet's own lib/pki.ts, so the tests serve what `podnet deploy secrets` makes.
// Files: <ca>.pem, <cert>.pem and <cert>.key in `dir`.
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
// Extension-less: Playwright's loader (the e2e tests import this file) resolves it too.
import { makeAgentPki } from '../lib/pki';

/** Names the certificate holds: "DNS:localhost", "IP:127.0.0.1". Valid for a day. */
export function makePki(dir: string, ca: string, cert: string, names: string[]): void {
  const pki = makeAgentPki(1, names);
  writeFileSync(join(dir, `${ca}.pem`), pki.caCert);
  writeFileSync(join(dir, `${cert}.pem`), pki.cert);
  writeFileSync(join(dir, `${cert}.key`), pki.key, { mode: 0o600 });
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's
 *  --ignore-certificate-errors-spki-list takes it. */
export function spkiHash(dir: string, cert: string): string {
  const spki = new X509Certificate(readFileSync(join(dir, `${cert}.pem`))).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return createHash('sha256').update(spki).digest('base64');
}
