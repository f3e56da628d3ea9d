// The agents' TLS material on a cluster: a CA made for this alone and one certificate it
// signs for the name every agent answers to (podnet-agent, the dashboard's default
// --agent-server-name), so one Secret serves every node of the DaemonSet. Node cannot
// sign X.509, so openssl does, by argv, on files in a private temp dir that is removed
// after: the CA's private key is never kept anywhere, so nothing can sign another agent
// certificate later (renewing means making all of it again). And the checks that a
// certificate, its key and a CA belong together, for material found already in place.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const AGENT_CERT_NAME = 'podnet-agent';
/** ten years: the CA's key is gone once made, so a short life would force frequent re-keying */
export const PKI_DAYS = 3650;

export interface AgentPki {
  /** PEM: the CA's certificate (what the dashboard verifies agents against) */
  caCert: string;
  /** PEM: the agents' certificate, for AGENT_CERT_NAME */
  cert: string;
  /** PEM (PKCS#8): the agents' private key */
  key: string;
}

// Fixed texts: openssl reads its settings from our own file, never the system's
// openssl.cnf, whose defaults (extensions req adds) differ between distributions. The
// names are podnet's own constants (tests pass theirs), never input from outside.
const reqConfig = (names: string[]) => `[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[agent]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${names.join(',')}
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export class PkiError extends Error {}

/** A new CA and an agent certificate it signs (ECDSA P-256). Needs the openssl command.
 *  `names`: the certificate's subject alternative names; the tests' HTTPS sites give
 *  theirs ("DNS:localhost", "IP:127.0.0.1"). */
export function makeAgentPki(days = PKI_DAYS, names: string[] = [`DNS:${AGENT_CERT_NAME}`]): AgentPki {
  // mkdtemp makes the directory 0700: the CA key in it is readable by nobody else
  const dir = mkdtempSync(join(tmpdir(), 'podnet-pki-'));
  try {
    const pem = (name: string) => join(dir, name);
    const newKey = (file: string) => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      writeFileSync(pem(file), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    };
    writeFileSync(pem('openssl.cnf'), reqConfig(names));
    newKey('ca.key');
    newKey('tls.key');
    const ssl = (...args: string[]) => openssl(dir, args);
    const common = ['-config', 'openssl.cnf', '-days', String(days), '-sha256'];
    ssl(
      'req',
      '-new',
      '-x509',
      '-key',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      '/CN=podnet-agent-ca',
      '-extensions',
      'ca',
      ...common,
    );
    ssl(
      'req',
      '-new',
      '-key',
      'tls.key',
      '-out',
      'tls.csr',
      '-subj',
      `/CN=${AGENT_CERT_NAME}`,
      '-config',
      'openssl.cnf',
    );
    // a random positive serial: no serial file to keep, and two runs never share one
    const serial = randomBytes(16);
    serial[0]! &= 0x7f;
    ssl(
      'x509',
      '-req',
      '-in',
      'tls.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${serial.toString('hex')}`,
      '-out',
      'tls.crt',
      '-extfile',
      'openssl.cnf',
      '-extensions',
      'agent',
      '-days',
      String(days),
      '-sha256',
    );
    return {
      caCert: readFileSync(pem('ca.crt'), 'utf8'),
      cert: readFileSync(pem('tls.crt'), 'utf8'),
      key: readFileSync(pem('tls.key'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function openssl(cwd: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    if (err.code === 'ENOENT')
      throw new PkiError("the openssl command is not installed: it signs the agents' certificate");
    throw new PkiError(`openssl ${args[0]} failed: ${err.stderr?.toString().trim() || err.message}`);
  }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** Why a certificate (with its key) is not one `ca` vouches for, or null when it is. The
 *  certificate file may carry intermediates after the leaf (material an operator made);
 *  the CA file may hold several CAs. */
export function pkiDisagreement(certPem: string, keyPem: string, caPem: string): string | null {
  let chain: X509Certificate[];
  let cas: X509Certificate[];
  try {
    chain = (certPem.match(PEM_CERT) ?? []).map((p) => new X509Certificate(p));
    cas = (caPem.match(PEM_CERT) ?? []).map((p) => new X509Certificate(p));
  } catch (e) {
    return `a certificate does not parse: ${(e as Error).message}`;
  }
  if (chain.length === 0) return 'tls.crt holds no certificate';
  if (cas.length === 0) return 'ca.crt holds no certificate';
  try {
    if (!chain[0]!.checkPrivateKey(createPrivateKey(keyPem))) return 'tls.key is not the key of tls.crt';
  } catch (e) {
    return `tls.key does not parse: ${(e as Error).message}`;
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.checkIssued(chain[i + 1]!) || !chain[i]!.verify(chain[i + 1]!.publicKey))
      return `tls.crt's certificate ${i + 1} is not signed by the next one in the file`;
  }
  const top = chain[chain.length - 1]!;
  if (!cas.some((ca) => top.checkIssued(ca) && top.verify(ca.publicKey))) return 'tls.crt is not signed by ca.crt';
  return null;
}
