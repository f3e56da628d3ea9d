// The Secrets podnet's pods mount on a cluster, made once by `podnet deploy secrets` (the
// podnet-setup Job) so that one `kubectl apply` installs podnet:
//   podnet-agent-token     token      the agents' bearer token: the dashboard's alone
//   podnet-agent-verifier  verifier   its sha256 verifier: what the agents hold
//   podnet-agent-tls       tls.crt, tls.key   the agents' certificate for podnet-agent
//   podnet-agent-ca        ca.crt     the CA that signed it: the dashboard verifies with it
//   podnet-dashboard-key   key        the dashboard's sign-in key
// Only what is absent is created and nothing is ever overwritten, so running it again is
// safe and keys survive. Two pairs must agree, token and verifier, certificate and CA:
// a pair of which only one exists (a run that stopped half-way) is refused, naming what to
// delete, since the missing half cannot be made to fit (the CA's key is not kept). Two
// runs at once: whatever the other created first (409) counts as present, and what is
// made after it is made from what is stored, so the pairs still agree.
import { randomBytes } from 'node:crypto';
import { verifierOf } from '../../agent/credentials.js';
import { MIN_KEY_LENGTH } from '../key-file.js';
import { makeAgentPki, pkiDisagreement, type AgentPki } from '../pki.js';
import type { NewSecret, SecretStore } from './secrets.js';

export const SECRETS = {
  token: 'podnet-agent-token',
  verifier: 'podnet-agent-verifier',
  tls: 'podnet-agent-tls',
  ca: 'podnet-agent-ca',
  dashboardKey: 'podnet-dashboard-key',
} as const;

export const DEFAULT_NAMESPACE = 'podnet-system';
const LABELS = { 'app.kubernetes.io/part-of': 'podnet', 'app.kubernetes.io/managed-by': 'podnet-deploy-secrets' };

export interface SecretsReport {
  namespace: string;
  /** made by this run */
  created: string[];
  /** there already (or made meanwhile by another run) */
  present: string[];
}

/** The pairs can no longer be completed: the message says what to delete. */
export class SecretsRefused extends Error {}

export interface EnsureDeps {
  makePki: () => AgentPki;
  /** a random secret text, ≥ 16 characters */
  random: () => string;
}

const defaults: EnsureDeps = {
  makePki: () => makeAgentPki(),
  // 256 bits; base64url so it survives a header, a URL and a file alike
  random: () => randomBytes(32).toString('base64url'),
};

type Data = Record<string, string> | null | undefined;

export async function ensurePodnetSecrets(store: SecretStore, deps: EnsureDeps = defaults): Promise<SecretsReport> {
  const report: SecretsReport = { namespace: store.namespace, created: [], present: [] };
  const ns = store.namespace;
  const deleteCmd = (...names: string[]) => `kubectl -n ${ns} delete secret ${names.join(' ')}`;
  const found: Record<string, Data> = {};
  for (const name of Object.values(SECRETS)) found[name] = await store.read(name);

  // Refuse before creating anything: a half pair must not be left beside new secrets.
  const half = (a: string, b: string, why: string) => {
    if ((found[a] === null) === (found[b] === null)) return null;
    const [have, lack] = found[a] ? [a, b] : [b, a];
    return `the Secret ${ns}/${have} exists but ${lack} does not (an earlier run stopped half-way?): ${why}. Delete it (${deleteCmd(have)}) and run again.`;
  };
  const disagree = (a: string, b: string, problem: string | null, made = false) =>
    (made || (found[a] && found[b])) && problem
      ? `the Secrets ${ns}/${a} and ${b} do not agree: ${problem}. Delete both (${deleteCmd(a, b)}) and run again.`
      : null;
  const refusals = [
    half(SECRETS.token, SECRETS.verifier, 'the verifier must be made with its token'),
    half(SECRETS.tls, SECRETS.ca, 'a certificate fits only the CA that signed it, whose key is not kept'),
    disagree(SECRETS.token, SECRETS.verifier, tokenDisagreement(found[SECRETS.token], found[SECRETS.verifier])),
    disagree(SECRETS.tls, SECRETS.ca, tlsDisagreement(found[SECRETS.tls], found[SECRETS.ca])),
  ].filter((r): r is string => r !== null);
  if (refusals.length > 0) throw new SecretsRefused(refusals.join('\n'));

  const create = async (secret: NewSecret): Promise<boolean> => {
    const r = await store.create({ ...secret, labels: LABELS });
    (r === 'created' ? report.created : report.present).push(secret.name);
    return r === 'created';
  };
  const present = (name: string) => report.present.push(name);

  // The token, then its verifier computed from the token as stored (another run's, if it
  // won the race). A found verifier implies a found token: half pairs were refused above.
  let token = found[SECRETS.token];
  let verifier = found[SECRETS.verifier];
  if (token) present(SECRETS.token);
  else {
    const mine = { token: deps.random() };
    token = (await create({ name: SECRETS.token, data: mine })) ? mine : await store.read(SECRETS.token);
  }
  if (verifier) present(SECRETS.verifier);
  else if (token?.token !== undefined) {
    const mine = { verifier: verifierOf(token.token.trim()) };
    verifier = (await create({ name: SECRETS.verifier, data: mine })) ? mine : await store.read(SECRETS.verifier);
  }
  const tokenProblem = tokenDisagreement(token, verifier);
  if (tokenProblem) throw new SecretsRefused(disagree(SECRETS.token, SECRETS.verifier, tokenProblem, true)!);

  // The certificate first, then the CA: the certificate is what a concurrent run's CA
  // must match, so a run that finds it made meanwhile creates no CA of its own.
  let tls = found[SECRETS.tls];
  let ca = found[SECRETS.ca];
  if (tls) {
    present(SECRETS.tls);
    present(SECRETS.ca);
  } else {
    const pki = deps.makePki();
    const mine = { 'tls.crt': pki.cert, 'tls.key': pki.key };
    if (await create({ name: SECRETS.tls, type: 'kubernetes.io/tls', data: mine })) {
      tls = mine;
      const myCa = { 'ca.crt': pki.caCert };
      ca = (await create({ name: SECRETS.ca, data: myCa })) ? myCa : await store.read(SECRETS.ca);
    } else {
      tls = await store.read(SECRETS.tls);
      ca = await store.read(SECRETS.ca);
      if (!ca)
        throw new SecretsRefused(
          `another run created ${ns}/${SECRETS.tls} at the same time and has not created ${SECRETS.ca} yet: run again once it finished (if none is running: ${deleteCmd(SECRETS.tls)}).`,
        );
      present(SECRETS.ca);
    }
  }
  const tlsProblem = tlsDisagreement(tls, ca);
  if (tlsProblem) throw new SecretsRefused(disagree(SECRETS.tls, SECRETS.ca, tlsProblem, true)!);

  if (found[SECRETS.dashboardKey]) present(SECRETS.dashboardKey);
  else await create({ name: SECRETS.dashboardKey, data: { key: deps.random() } });
  return report;
}

function tokenDisagreement(token: Data, verifier: Data): string | null {
  const t = token?.token?.trim();
  const v = verifier?.verifier?.trim();
  if (t === undefined) return `${SECRETS.token} holds no key "token"`;
  if (v === undefined) return `${SECRETS.verifier} holds no key "verifier"`;
  if (t.length < MIN_KEY_LENGTH) return `the token is shorter than ${MIN_KEY_LENGTH} characters`;
  return verifierOf(t) === v ? null : "the verifier is not the token's";
}

function tlsDisagreement(tls: Data, ca: Data): string | null {
  const [cert, key, caCert] = [tls?.['tls.crt'], tls?.['tls.key'], ca?.['ca.crt']];
  if (cert === undefined || key === undefined) return `${SECRETS.tls} lacks tls.crt or tls.key`;
  if (caCert === undefined) return `${SECRETS.ca} holds no key "ca.crt"`;
  return pkiDisagreement(cert, key, caCert);
}
