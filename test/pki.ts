// A certificate authority of a test's own and a certificate it signs, made with openssl
// in a directory the test owns (and removes): the agent's TLS tests and the dashboard's
// HTTPS e2e tests use it. Files: <ca>.pem/.key and <cert>.pem/.key in `dir`.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Names the certificate holds: "DNS:localhost", "IP:127.0.0.1". The first DNS name (or
 *  the first name) is its common name too. */
export function makePki(dir: string, ca: string, cert: string, names: string[]): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const cn = (names.find((n) => n.startsWith('DNS:')) ?? names[0]!).replace(/^\w+:/, '');
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    `${ca}.key`,
    '-out',
    `${ca}.pem`,
    '-days',
    '1',
    '-subj',
    `/CN=${ca}`,
  );
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${cert}.key`, '-out', `${cert}.csr`, '-subj', `/CN=${cn}`);
  writeFileSync(join(dir, `${cert}.ext`), `subjectAltName=${names.join(',')}\n`);
  ssl(
    'x509',
    '-req',
    '-in',
    `${cert}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${cert}.pem`,
    '-days',
    '1',
    '-extfile',
    `${cert}.ext`,
  );
}

/** The base64 SHA-256 of a certificate's public key, as Chromium's
 *  --ignore-certificate-errors-spki-list takes it. */
export function spkiHash(dir: string, cert: string): string {
  const pub = execFileSync('openssl', ['x509', '-in', `${cert}.pem`, '-pubkey', '-noout'], { cwd: dir });
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
}
