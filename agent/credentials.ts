// What an agent holds to tell its clients apart from strangers, and to be told apart from
// an impostor:
//   - a token *verifier*: the SHA-256 of the bearer token (`sha256:<hex>`), so a node's
//     disk — readable by whoever owns that node — gives no key that commands the other
//     agents or the dashboard. A file holding the token itself still works (the lab, a
//     quick test) and is hashed as it is read.
//   - on TCP, a TLS certificate and key (files, as a Kubernetes Secret mounts them),
//     read again when they change, so a renewed certificate needs no restart.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileStamp } from '../lib/file-stamp.js';
import type { Server as HttpsServer } from 'node:https';
import type { SecureContextOptions } from 'node:tls';

const VERIFIER = /^sha256:([0-9a-f]{64})$/;
const MIN_TOKEN_LENGTH = 16;

export class CredentialError extends Error {}

export const tokenDigest = (token: string) => createHash('sha256').update(token).digest();

/** The text to give agents instead of the token: `sha256:<hex>`. */
export const verifierOf = (token: string) => `sha256:${tokenDigest(token).toString('hex')}`;

export interface TokenVerifier {
  digest: Buffer;
  /** the file held the token itself, not its verifier */
  rawToken: boolean;
}

export function readTokenVerifier(file: string): TokenVerifier {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new CredentialError(`cannot read the token file ${file}: ${(e as Error).message}`);
  }
  const m = VERIFIER.exec(text);
  if (m) return { digest: Buffer.from(m[1]!, 'hex'), rawToken: false };
  if (text.length < MIN_TOKEN_LENGTH)
    throw new CredentialError(
      `the token in ${file} is shorter than ${MIN_TOKEN_LENGTH} characters (or a verifier, "sha256:" and 64 hex digits, that is malformed)`,
    );
  return { digest: tokenDigest(text), rawToken: true };
}

export interface TlsFiles {
  cert: string;
  key: string;
}

export function readTls(files: TlsFiles): SecureContextOptions {
  try {
    return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
  } catch (e) {
    throw new CredentialError(
      `cannot read the TLS certificate or key (${files.cert}, ${files.key}): ${(e as Error).message}`,
    );
  }
}

const stampOf = (files: TlsFiles) => `${fileStamp(files.cert)}|${fileStamp(files.key)}`;

/** Re-reads the certificate and key when either file changes (checked every `everyMs`);
 *  a pair that does not load is logged and the old one kept. Returns a stop function. */
export function reloadTlsOnChange(
  server: HttpsServer,
  files: TlsFiles,
  onError: (msg: string) => void,
  everyMs = 10_000,
): () => void {
  let stamp = stampOf(files);
  const timer = setInterval(() => {
    const now = stampOf(files);
    if (now === stamp) return;
    try {
      server.setSecureContext(readTls(files));
      stamp = now;
    } catch (e) {
      onError(`the renewed TLS certificate did not load, keeping the old one: ${(e as Error).message}`);
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
