import { createTRPCRouter, publicProcedure } from '../trpc';

export const clusterRouter = createTRPCRouter({
  /** which cluster this is, and what the server cannot trust right now */
  info: publicProcedure.query(({ ctx }) => {
    const { version, topology, problems } = ctx.cluster.current();
    const agents = { live: 0, connecting: 0, unreachable: 0, none: 0 };
    for (const n of topology.nodes) agents[n.agent.state]++;
    return {
      cluster: topology.cluster,
      version,
      problems,
      agents,
      nodes: topology.nodes.length,
      pods: topology.pods.length,
      findings: topology.findings.length,
    };
  }),
});
