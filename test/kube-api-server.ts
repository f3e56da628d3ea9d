// The tests' Kubernetes API server: the lab's (lab/kube-api-server.ts), starting with the
// real API bodies in test/fixtures/kubernetes/ (the reference NodeList and PodList) unless
// a test gives its own lists; the fixtures' readers; and a kubeconfig that points at it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// Extension-less: Playwright's loader (e2e tests import this file) resolves it too.
import {
  KubeApiServer as LabKubeApiServer,
  type KubeApiServerOptions,
  type KubeList,
  type WatchEvent,
} from '../lab/kube-api-server';
import { kubeconfigText } from '../lab/kube-config';

export type { KubeList, WatchEvent, KubeApiServerOptions } from '../lab/kube-api-server';
export type { RecordedRequest, Resource, RequestKind, SecretVerb } from '../lab/kube-api-server';

const fixtureDir = new URL('./fixtures/kubernetes/', import.meta.url);

export const fixtureText = (name: string): string => readFileSync(new URL(name, fixtureDir), 'utf8');
/** A fresh parse each call: tests change the objects they get. */
export const fixtureJson = <T = any>(name: string): T => JSON.parse(fixtureText(name)) as T;
export const fixtureEvents = (name: string): WatchEvent[] =>
  fixtureText(name)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WatchEvent);

export class KubeApiServer extends LabKubeApiServer {
  /** The lists default to the reference NodeList and PodList. */
  static override async start(opts: KubeApiServerOptions = {}): Promise<KubeApiServer> {
    const withFixtures = {
      ...opts,
      nodes: opts.nodes ?? fixtureJson<KubeList>('nodelist.reference.json'),
      pods: opts.pods ?? fixtureJson<KubeList>('podlist.reference.json'),
    };
    return this.listen(new KubeApiServer(withFixtures), withFixtures);
  }
}

export interface TestKubeconfig {
  path: string;
  context: string;
  /** removes the temp dir holding it */
  remove(): void;
}

/** Writes a kubeconfig for `server` into a temp dir (lab/kube-config.ts writes the text). */
export function writeKubeconfig(
  server: LabKubeApiServer,
  opts: { context?: string; token?: string; /** another URL that reaches it (from a namespace) */ url?: string } = {},
): TestKubeconfig {
  const context = opts.context ?? 'podnet-test';
  const dir = mkdtempSync(join(tmpdir(), 'podnet-kubeconfig-'));
  const path = join(dir, 'config');
  writeFileSync(path, kubeconfigText(opts.url ?? server.url, opts.token ?? server.token, context));
  return { path, context, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
