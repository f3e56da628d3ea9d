import { TRPCError, tracked } from '@trpc/server';
import { z } from 'zod';
import { SEARCH_LIMIT_MAX, TABLE_COLUMNS, TABLE_PAGE_MAX } from '../../../lib/model/search';
import { isSmallCluster, MAX_FOCUS, SUMMARY_EVENT_ID } from '../../../lib/model/summary';
import { StreamTooBigError } from '../../topology/cluster-view';
import { createTRPCRouter, publicProcedure } from '../trpc';

const nodeName = z.string().min(1).max(253);
const paging = { page: z.number().int().min(0).max(1_000_000), pageSize: z.number().int().min(1).max(TABLE_PAGE_MAX) };

export const topologyRouter = createTRPCRouter({
  /** the whole topology now, with the version it has */
  snapshot: publicProcedure.query(({ ctx }) => {
    const { version, topology } = ctx.cluster.current();
    return { version, topology };
  }),
  /** changes as they happen (server-sent events), each with its version as the event id:
   *  from `lastEventId` (the version the page has, from topology.snapshot; tRPC sends the
   *  last id again on a reconnect) when the server still holds what came since, else a
   *  snapshot first */
  watch: publicProcedure
    .input(
      z
        .object({
          lastEventId: z
            .string()
            .regex(/^\d{1,15}$/)
            .nullish(),
        })
        .optional(),
    )
    .subscription(async function* ({ ctx, input, signal }) {
      const since = input?.lastEventId ? Number(input.lastEventId) : null;
      try {
        for await (const event of ctx.cluster.events(signal, since)) yield tracked(String(event.version), event);
      } catch (e) {
        if (e instanceof StreamTooBigError) throw new TRPCError({ code: 'PRECONDITION_FAILED', message: e.message });
        throw e;
      }
    }),

  // ---- summary first (issue 13): lib/model/summary.ts, server/topology/summary-feed.ts

  /** the cluster and one small summary per node (pod counts by health, findings, agent,
   *  routes as exceptions), with its version: what a page loads first. With
   *  `wholeIfSmall`, a cluster a page holds whole (SMALL_NODES, SMALL_PODS) comes with its
   *  whole topology too (`whole`, as topology.snapshot gives it): one round trip, not two. */
  summary: publicProcedure
    .input(z.object({ wholeIfSmall: z.boolean().optional() }).optional())
    .query(({ ctx, input }) => {
      const first = ctx.cluster.summaries.current();
      if (!input?.wholeIfSmall || !isSmallCluster(first.summary)) return { ...first, whole: null };
      const { version, topology } = ctx.cluster.current();
      return { ...first, whole: { version, topology } };
    }),
  /** one node opened: its TopoNode, pods, routes and findings, with the version */
  node: publicProcedure.input(z.object({ name: nodeName })).query(({ ctx, input }) => {
    const found = ctx.cluster.summaries.detail(input.name);
    if (!found) throw new TRPCError({ code: 'NOT_FOUND', message: `no node ${input.name} in the cluster` });
    return found;
  }),
  /** the node a pod is on (null: unscheduled, or on a node the control plane does not
   *  list), for a page that selects a pod whose node it has not loaded (a deep link) */
  locate: publicProcedure.input(z.object({ pod: z.string().min(3).max(317) })).query(({ ctx, input }) => {
    const found = ctx.cluster.summaries.locate(input.pod);
    if (!found) throw new TRPCError({ code: 'NOT_FOUND', message: `no pod ${input.pod} in the cluster` });
    return found;
  }),
  /** pods and nodes by name, namespace, IP (or a prefix) or node, from the server's index */
  search: publicProcedure
    .input(
      z.object({
        text: z.string().max(253),
        limit: z.number().int().min(0).max(SEARCH_LIMIT_MAX).default(SEARCH_LIMIT_MAX),
      }),
    )
    .query(({ ctx, input }) => ctx.cluster.summaries.index.find(input.text, input.limit)),
  /** one page of the table's rows (nodes, then pods; or sorted by a column), filtered by
   *  words every row's text must hold, with how many match */
  table: publicProcedure
    .input(
      z.object({
        ...paging,
        sort: z.object({ column: z.enum(TABLE_COLUMNS), dir: z.enum(['asc', 'desc']) }).optional(),
        filter: z.string().max(200).optional(),
        kind: z.enum(['node', 'pod']).optional(),
      }),
    )
    .query(({ ctx, input }) => ctx.cluster.summaries.index.table(input)),
  /** one page of the findings, errors first, optionally of one node or severity */
  findings: publicProcedure
    .input(z.object({ ...paging, node: nodeName.optional(), severity: z.enum(['error', 'warning']).optional() }))
    .query(({ ctx, input }) => ctx.cluster.summaries.index.findings(input)),
  /**
   * The summary's changes as they happen (SSE), and the details of the nodes this
   * subscription is focused on (topology.focus). First a `hello` with the subscription id;
   * event ids are "SUB:VERSION". A page that loaded topology.summary at version V starts
   * with lastEventId "V"; on a reconnect tRPC sends the last id, and the same
   * subscription resumes (focus kept, within 60 s of the drop) from its version: the
   * summary changes it missed or a fresh summary, and its focused nodes' details whole.
   */
  watchSummary: publicProcedure
    .input(z.object({ lastEventId: z.string().regex(SUMMARY_EVENT_ID).nullish() }).optional())
    .subscription(async function* ({ ctx, input, signal }) {
      for await (const { id, event } of ctx.cluster.summaries.events(signal, input?.lastEventId ?? null))
        yield tracked(id, event);
    }),
  /** which nodes' details a watchSummary subscription receives (replaces the last set);
   *  newly focused nodes arrive as a detail snapshot in its next event */
  focus: publicProcedure
    .input(
      z.object({
        subscriptionId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        nodes: z.array(nodeName).max(MAX_FOCUS),
      }),
    )
    .mutation(({ ctx, input }) => {
      const done = ctx.cluster.summaries.focus(input.subscriptionId, input.nodes);
      if (!done)
        throw new TRPCError({
          code: 'NOT_FOUND',
          message: `no summary subscription ${input.subscriptionId}: it ended over a minute ago or on another server; watch again`,
        });
      return done;
    }),
});
