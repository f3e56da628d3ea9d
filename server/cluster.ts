// The one ClusterView of this server process, made from the configuration on first use.
// Kept on globalThis: Next.js may load this module more than once (route handlers and
// pages are separate bundles), and two views would mean two sets of agent streams.
import { readFileSync } from 'node:fs';
import { configureAgentTls } from '../lib/agent/tls';
import { loadConfig, type DashboardConfig } from './config';
import { LabSource } from './sources/lab';
import type { ClusterSource } from './sources/source';
import { ClusterView } from './topology/cluster-view';

const KEY = Symbol.for('podnet.cluster');
type Holder = { [KEY]?: Promise<ClusterView> };

async function sourceFor(config: DashboardConfig): Promise<ClusterSource> {
  switch (config.PODNET_SOURCE) {
    case 'lab':
      return new LabSource(config.PODNET_LAB ?? null);
    case 'kubernetes': {
      const { KubernetesSource } = await import('./sources/kubernetes');
      const { AgentPool } = await import('./agents/agent-pool');
      const tokenFile = config.PODNET_AGENT_TOKEN_FILE;
      const token = () => (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : null);
      const agentPort = config.PODNET_AGENT_PORT === 'off' ? null : config.PODNET_AGENT_PORT;
      const agentTls = config.PODNET_AGENT_CA_FILE !== undefined;
      configureAgentTls(config.PODNET_AGENT_CA_FILE ?? null, config.PODNET_AGENT_SERVER_NAME);
      // The pool's streams report to the view once the source is started with it.
      let notify = () => {};
      const pool = new AgentPool(token, () => notify());
      const source = new KubernetesSource({
        kubeconfig: config.PODNET_KUBECONFIG,
        agentPort,
        agentTls,
        // the lab's agents on unix sockets (config.ts refuses it with a CA file)
        ...(config.PODNET_AGENT_SOCKET_DIR !== undefined ? { agentSocketDir: config.PODNET_AGENT_SOCKET_DIR } : {}),
        agentToken: token,
        agentPool: pool,
      });
      return {
        start: (changed) => ((notify = changed), source.start(changed)),
        read: () => source.read(),
        agentToken: token,
        close: () => source.close(),
      };
    }
    case 'synthetic': {
      const { SyntheticSource } = await import('./sources/synthetic');
      return new SyntheticSource(config.PODNET_SYNTHETIC);
    }
  }
}

export function getCluster(): Promise<ClusterView> {
  const holder = globalThis as Holder;
  holder[KEY] ??= (async () => {
    const config = loadConfig();
    const view = new ClusterView(await sourceFor(config), config.PODNET_READ_ONLY);
    await view.start();
    // Next.js waits for open responses before it exits; ending the watch streams at once
    // lets every page see that the server went (and say "reconnecting") instead of
    // looking live while it drains.
    process.once('SIGTERM', () => void view.close());
    return view;
  })();
  return holder[KEY];
}
