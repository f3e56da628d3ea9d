'use client';
// Everything the dashboard knows about the selected pod or node, in words: where the
// graph colours a node, this panel says why, what was expected, and the fix.
import { useState, type ReactNode } from 'react';
import { primaryButton } from './button-styles';
import { ProbeForm } from './ProbeForm';
import type { Route } from '../../lib/model/snapshot';
import type { Health, Selection, TopoFinding, TopoNode, TopoPod, Topology } from '../../lib/model/topology';
import { formatIpv4, parseCidr, parseIpv4, prefixContains } from '../../lib/model/ipv4';
import { clockTime, localDate } from './ConnectionBadge';
import { bySeverity, FindingBody } from './Finding';

const MAX_NODE_PODS = 200;

export const HEALTH_TEXT: Record<Health, string> = {
  healthy: 'Healthy',
  finding: 'Has findings',
  unreachable: 'Agent unreachable',
};

export function HealthTag({ health }: { health: Health }) {
  const tone =
    health === 'healthy'
      ? 'bg-emerald-100 text-emerald-800 dark:bg-emerald-950 dark:text-emerald-200'
      : health === 'finding'
        ? 'bg-red-100 text-red-800 dark:bg-red-950 dark:text-red-200'
        : 'border border-dashed border-slate-400 bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-200';
  const mark = health === 'healthy' ? '✓' : health === 'finding' ? '!' : '✕';
  return (
    <span data-health={health} className={`inline-flex items-center gap-1 rounded px-1.5 text-xs font-medium ${tone}`}>
      <span aria-hidden="true">{mark}</span>
      {HEALTH_TEXT[health]}
    </span>
  );
}

/** The pods' gateway: the bridge's address inside the node's pod subnet, else the
 *  subnet's first host address (what the CNI plugin configures). */
export function podGateway(node: TopoNode | undefined): string | null {
  if (!node?.podCIDR) return null;
  const subnet = parseCidr(node.podCIDR);
  if (!subnet) return null;
  for (const a of node.bridge?.addresses ?? []) {
    const addr = parseCidr(a);
    if (addr && addr.length === subnet.length && prefixContains(subnet, addr.address)) return formatIpv4(addr.address);
  }
  return formatIpv4((subnet.network + 1) >>> 0);
}

const yesNo = (v: boolean | null | undefined, yes = 'yes', no = 'no') =>
  v === null || v === undefined ? 'unknown' : v ? yes : no;

function dateTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getTime() === 0) return '—';
  const today = new Date().toDateString() === d.toDateString();
  return today ? clockTime(iso) : `${localDate(iso)} ${clockTime(iso)}`;
}

// A section below the panel's fold is not laid out until it is scrolled near: a node's
// 200 pods and its routing table took 50 ms of layout in the frame after the click that
// selected it, holding up the next input (bench/README.md). `auto` keeps it searchable,
// focusable and read by screen readers; the intrinsic size is a guess the scrollbar uses
// until the section has been laid out once.
const OFFSCREEN_LAZY = { contentVisibility: 'auto', containIntrinsicSize: 'auto 240px' } as const;

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="border-t border-slate-200 px-4 py-3 dark:border-slate-800" style={OFFSCREEN_LAZY}>
      <h3 className="mb-1.5 text-xs font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
        {title}
      </h3>
      {children}
    </section>
  );
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="grid grid-cols-[minmax(6rem,auto)_1fr] gap-x-3 gap-y-1 text-sm">
      {rows.map(([k, v]) => (
        <div key={k} className="contents">
          <dt className="text-slate-600 dark:text-slate-400">{k}</dt>
          <dd className="min-w-0 break-words">{v}</dd>
        </div>
      ))}
    </dl>
  );
}

const mono = (v: string | null | undefined) =>
  v ? <span className="font-mono">{v}</span> : <span className="text-slate-500">—</span>;

function LinkButton({
  sel,
  onSelect,
  children,
}: {
  sel: Selection;
  onSelect: (s: Selection) => void;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      onClick={() => onSelect(sel)}
      className="text-sky-700 underline underline-offset-2 hover:text-sky-900 focus-visible:outline-2 focus-visible:outline-sky-600 dark:text-sky-300 dark:hover:text-sky-100"
    >
      {children}
    </button>
  );
}

function FindingItems({ findings }: { findings: TopoFinding[] }) {
  if (findings.length === 0)
    return <p className="text-sm text-emerald-800 dark:text-emerald-300">None: as it should be.</p>;
  return (
    <ul className="space-y-3">
      {[...findings].sort(bySeverity).map((f) => (
        <li key={f.id} data-finding-id={f.id} className="text-sm">
          <FindingBody finding={f} />
        </li>
      ))}
    </ul>
  );
}

/** Routes listed at first: a node of a 1,000-node cluster has a route per other node, and
 *  their rows took ~70 ms to render and ~110 ms to lay out, in front of the graph drawing
 *  the pods of the box the same click opened. The rest are a click away. */
export const ROUTES_SHOWN = 64;

function RouteTable({ routes, caption }: { routes: Route[]; caption: string }) {
  const [all, setAll] = useState(false);
  const shown = all ? routes : routes.slice(0, ROUTES_SHOWN);
  if (routes.length === 0)
    return (
      <p className="text-sm text-slate-600 dark:text-slate-400">No routes known (the agent has not sent a snapshot).</p>
    );
  return (
    <table data-testid="node-routes" className="w-full text-left font-mono text-xs">
      <caption className="sr-only">{caption}</caption>
      <thead className="text-slate-600 dark:text-slate-400">
        <tr>
          <th scope="col" className="pr-2 font-normal">
            destination
          </th>
          <th scope="col" className="pr-2 font-normal">
            via
          </th>
          <th scope="col" className="pr-2 font-normal">
            dev
          </th>
          <th scope="col" className="pr-2 font-normal">
            proto
          </th>
          <th scope="col" className="font-normal">
            owner
          </th>
        </tr>
      </thead>
      <tbody>
        {shown.map((r, i) => (
          <tr
            key={`${r.dst} ${r.gateway} ${r.dev} ${i}`}
            data-owned-by-podnet={r.ownedByPodnet}
            className={r.ownedByPodnet ? 'bg-sky-50 dark:bg-sky-950' : ''}
          >
            <td className="pr-2">{r.dst}</td>
            <td className="pr-2">{r.gateway ?? '—'}</td>
            <td className="pr-2">{r.dev ?? '—'}</td>
            <td className="pr-2">{r.protocol}</td>
            <td>
              {r.ownedByPodnet ? (
                <span className="font-sans font-semibold text-sky-800 dark:text-sky-200">podnet</span>
              ) : (
                <span className="font-sans text-slate-500">—</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
      {shown.length < routes.length && (
        <tfoot>
          <tr>
            <td colSpan={5} className="pt-1 font-sans">
              <button
                type="button"
                data-testid="node-routes-all"
                className="text-sky-800 underline hover:no-underline dark:text-sky-300"
                onClick={() => setAll(true)}
              >
                Show all {routes.length} routes
              </button>{' '}
              <span className="text-slate-600 dark:text-slate-400">({ROUTES_SHOWN} shown)</span>
            </td>
          </tr>
        </tfoot>
      )}
    </table>
  );
}

function PodDetails({
  pod,
  topology,
  onSelect,
}: {
  pod: TopoPod;
  topology: Topology;
  onSelect: (s: Selection) => void;
}) {
  const node = topology.nodes.find((n) => n.name === pod.node);
  const findings = topology.findings.filter((f) => f.pod === pod.key);
  const gateway = podGateway(node);
  const subnet = node?.podCIDR ? parseCidr(node.podCIDR) : null;
  const ifname = pod.veth?.ifname ?? 'eth0';
  const ipInSubnet =
    pod.ip && subnet
      ? (() => {
          const a = parseIpv4(pod.ip);
          return a !== null && prefixContains(subnet, a);
        })()
      : false;
  const vethState = !pod.veth
    ? 'no veth known'
    : pod.veth.up === null
      ? 'state unknown (link not in the snapshot)'
      : pod.veth.up
        ? 'up'
        : 'down';

  return (
    <>
      <Section title="Pod">
        <Facts
          rows={[
            ['namespace', pod.namespace],
            ['name', pod.name],
            [
              'node',
              pod.node ? (
                <LinkButton sel={{ kind: 'node', key: pod.node }} onSelect={onSelect}>
                  {pod.node}
                </LinkButton>
              ) : (
                'unscheduled'
              ),
            ],
            ['IP', mono(pod.ip)],
            ...(pod.agentIp && pod.agentIp !== pod.ip
              ? ([
                  [
                    'agent’s IP',
                    <span key="a" className="font-mono text-red-700 dark:text-red-300">
                      {pod.agentIp} (differs from the API’s)
                    </span>,
                  ],
                ] as [string, ReactNode][])
              : []),
            ['phase', pod.phase],
            ['health', <HealthTag key="h" health={pod.health} />],
            ['owner', pod.owner ?? '—'],
            [
              'seen by',
              [pod.seenBy.api ? 'control plane' : null, pod.seenBy.agent ? 'node agent' : null]
                .filter(Boolean)
                .join(' and ') || 'nobody',
            ],
            ...(pod.hostNetwork
              ? ([['network', 'hostNetwork: shares the node’s network namespace']] as [string, ReactNode][])
              : []),
            ...(pod.containerID
              ? ([
                  [
                    'container',
                    <span key="c" className="font-mono text-xs break-all">
                      {pod.containerID}
                    </span>,
                  ],
                ] as [string, ReactNode][])
              : []),
            ...(pod.netns ? ([['netns', mono(pod.netns)]] as [string, ReactNode][]) : []),
          ]}
        />
      </Section>
      <Section title="Labels">
        {Object.keys(pod.labels).length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">none</p>
        ) : (
          <ul className="flex flex-wrap gap-1">
            {Object.entries(pod.labels).map(([k, v]) => (
              <li key={k} className="rounded bg-slate-100 px-1.5 font-mono text-xs dark:bg-slate-800">
                {k}={v}
              </li>
            ))}
          </ul>
        )}
      </Section>
      {!pod.hostNetwork && (
        <Section title="Interface">
          <Facts
            rows={[
              [
                'in the pod',
                <span key="i" className="font-mono">
                  {ifname}
                </span>,
              ],
              [
                'host veth',
                pod.veth ? (
                  <span key="v">
                    <span className="font-mono">{pod.veth.host}</span> on {pod.node ?? '?'}
                  </span>
                ) : (
                  'none known'
                ),
              ],
              // the agent reads the node's side of the pair; the pod's eth0 has its own MAC
              ...(pod.veth?.mac ? ([['host veth MAC', mono(pod.veth.mac)]] as [string, ReactNode][]) : []),
              [
                'veth state',
                <span
                  key="s"
                  data-testid="veth-state"
                  className={pod.veth?.up === false ? 'font-semibold text-red-700 dark:text-red-300' : ''}
                >
                  {vethState}
                </span>,
              ],
              [
                'bridge',
                node?.bridge ? (
                  <span key="b" className="font-mono">
                    {node.bridge.name}
                  </span>
                ) : (
                  '—'
                ),
              ],
            ]}
          />
        </Section>
      )}
      <Section title="Routes in the pod">
        {pod.hostNetwork ? (
          <p className="text-sm">The pod uses its node’s routing table: see the node.</p>
        ) : gateway && subnet ? (
          <>
            <pre
              data-testid="pod-routes"
              className="whitespace-pre-wrap break-all rounded bg-slate-100 px-2 py-1 font-mono text-xs dark:bg-slate-800"
            >
              {`default via ${gateway} dev ${ifname}\n${node!.podCIDR} dev ${ifname} proto kernel scope link${pod.ip ? ` src ${pod.ip}` : ''}`}
            </pre>
            <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">
              These are the pod’s routes as the podnet CNI plugin sets them (a default route via the node’s bridge
              address, and the pod subnet on {ifname}), not read from inside the pod.
              {pod.ip && !ipInSubnet
                ? ` Its IP ${pod.ip} is outside ${node!.podCIDR}: the gateway is not on its link.`
                : ''}
            </p>
          </>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Unknown: {pod.node ? `${pod.node} has no pod subnet` : 'the pod has no node'}.
          </p>
        )}
      </Section>
      <Section title="Probe from this pod">
        <ProbeForm pod={pod} topology={topology} />
      </Section>
      <Section title={`Findings (${findings.length})`}>
        <FindingItems findings={findings} />
      </Section>
    </>
  );
}

function NodeDetails({
  node,
  topology,
  onSelect,
}: {
  node: TopoNode;
  topology: Topology;
  onSelect: (s: Selection) => void;
}) {
  const findings = topology.findings.filter((f) => f.node === node.name && !f.pod);
  const podFindings = topology.findings.filter((f) => f.node === node.name && f.pod).length;
  const pods = topology.pods.filter((p) => p.node === node.name);
  const fw = node.firewall;
  return (
    <>
      <Section title="Node">
        <Facts
          rows={[
            ['IP', mono(node.ip)],
            ['pod subnet', mono(node.podCIDR)],
            ['health', <HealthTag key="h" health={node.health} />],
            [
              'Ready',
              node.ready === null ? (
                'unknown (no kubelet)'
              ) : node.ready ? (
                'Ready'
              ) : (
                <span key="r" className="font-semibold text-red-700 dark:text-red-300">
                  Not Ready
                </span>
              ),
            ],
            ...(node.conditions.length
              ? ([
                  [
                    'conditions',
                    <ul key="c">
                      {node.conditions.map((c) => (
                        <li key={c}>{c}</li>
                      ))}
                    </ul>,
                  ],
                ] as [string, ReactNode][])
              : []),
          ]}
        />
      </Section>
      <Section title="Agent">
        <Facts
          rows={[
            ['address', mono(node.agent.address)],
            [
              'state',
              <span
                key="s"
                data-testid="agent-state"
                data-state={node.agent.state}
                className={node.agent.state === 'unreachable' ? 'font-semibold text-red-700 dark:text-red-300' : ''}
              >
                {node.agent.state}
              </span>,
            ],
            ['since', dateTime(node.agent.since)],
            ...(node.agent.error
              ? ([
                  [
                    'error',
                    <span key="e" className="font-mono text-xs">
                      {node.agent.error}
                    </span>,
                  ],
                ] as [string, ReactNode][])
              : []),
          ]}
        />
      </Section>
      <Section title="Bridge and forwarding">
        <Facts
          rows={[
            [
              'bridge',
              node.bridge ? (
                <span key="b">
                  <span className="font-mono">{node.bridge.name}</span> ·{' '}
                  <span className={node.bridge.up ? '' : 'font-semibold text-red-700 dark:text-red-300'}>
                    {node.bridge.up ? 'up' : 'down'}
                  </span>
                </span>
              ) : (
                'not found (or no snapshot)'
              ),
            ],
            [
              'addresses',
              node.bridge?.addresses.length ? (
                <span key="a" className="font-mono">
                  {node.bridge.addresses.join(', ')}
                </span>
              ) : (
                '—'
              ),
            ],
            [
              'ip_forward',
              <span key="f" className={node.ipForward === false ? 'font-semibold text-red-700 dark:text-red-300' : ''}>
                {yesNo(node.ipForward, 'on (1)', 'off (0)')}
              </span>,
            ],
          ]}
        />
      </Section>
      <Section title="Firewall">
        {fw ? (
          <Facts
            rows={[
              ['FORWARD policy', fw.forwardPolicy],
              ['podnet table', yesNo(fw.table, 'present', 'missing')],
              ['masquerade', yesNo(fw.masquerade, 'on (pods reach outside the cluster network)', 'off')],
              [
                'FORWARD accepts',
                yesNo(fw.forwardAccepts, 'podnet accepts pod traffic in FORWARD', 'none from podnet'),
              ],
              ['input restricted', yesNo(fw.inputRestricted)],
            ]}
          />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            Unknown: the agent has not reported its firewall facts.
          </p>
        )}
      </Section>
      <Section title="Routing table (main)">
        <RouteTable
          key={node.name}
          routes={node.routes}
          caption={`${node.name}'s routing table; routes owned by podnet are marked`}
        />
      </Section>
      <Section title={`Findings (${findings.length}${podFindings ? `, and ${podFindings} on its pods` : ''})`}>
        <FindingItems findings={findings} />
      </Section>
      <Section title={`Pods (${pods.length})`}>
        {pods.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-400">none</p>
        ) : (
          <ul className="space-y-0.5 text-sm">
            {pods.slice(0, MAX_NODE_PODS).map((p) => (
              <li key={p.key} className="flex items-baseline gap-2">
                <LinkButton sel={{ kind: 'pod', key: p.key }} onSelect={onSelect}>
                  {p.key}
                </LinkButton>
                <span className="font-mono text-xs text-slate-600 dark:text-slate-400">{p.ip ?? 'no IP'}</span>
                {p.health !== 'healthy' && <HealthTag health={p.health} />}
              </li>
            ))}
            {pods.length > MAX_NODE_PODS && (
              <li className="text-xs text-slate-600 dark:text-slate-400">
                and {pods.length - MAX_NODE_PODS} more: see the table view.
              </li>
            )}
          </ul>
        )}
      </Section>
    </>
  );
}

export function SidePanel({
  topology,
  selection,
  onSelect,
  onClose,
  onTraceFrom,
  pending = false,
}: {
  topology: Topology | null;
  selection: Selection | null;
  onSelect: (s: Selection) => void;
  onClose?: () => void;
  /** "Trace from here" on a pod: the trace panel takes it as the source */
  onTraceFrom?: (pod: string) => void;
  /** the selection's node is still loading (a big cluster held as summaries) */
  pending?: boolean;
}) {
  const pod = selection?.kind === 'pod' ? topology?.pods.find((p) => p.key === selection.key) : undefined;
  const node = selection?.kind === 'node' ? topology?.nodes.find((n) => n.name === selection.key) : undefined;
  const found = pod ?? node;
  return (
    <div
      data-testid="side-panel"
      data-kind={selection?.kind}
      data-key={selection ? `${selection.kind}:${selection.key}` : undefined}
      data-found={selection && !pending ? Boolean(found) : undefined}
      className="min-h-full"
    >
      {!selection ? (
        <div className="px-4 py-6 text-sm text-slate-700 dark:text-slate-300">
          <h2 className="mb-2 text-base font-semibold">Nothing selected</h2>
          <p>
            Click a node or a pod in the graph, a row in the table, or a finding to see its addresses, veth, routes and
            firewall facts here.
          </p>
          <p className="mt-2">
            Or press{' '}
            <kbd className="rounded border border-slate-300 px-1 font-mono text-xs dark:border-slate-600">/</kbd> and
            search by pod name, namespace, IP or node.
          </p>
        </div>
      ) : (
        <>
          <div className="flex items-start gap-2 px-4 py-3">
            <div className="min-w-0 flex-1">
              <p className="text-xs uppercase tracking-wide text-slate-600 dark:text-slate-400">{selection.kind}</p>
              <h2 className="break-all text-lg font-semibold">{selection.key}</h2>
              {pod && onTraceFrom && pod.node && !pod.hostNetwork && (
                <div className="mt-1.5 flex flex-wrap items-center gap-x-2 gap-y-1">
                  <button
                    type="button"
                    data-testid="trace-from-here"
                    onClick={() => onTraceFrom(pod.key)}
                    className={primaryButton}
                  >
                    Trace from here
                  </button>
                  <span className="text-xs text-slate-600 dark:text-slate-400">then click the destination pod</span>
                </div>
              )}
            </div>
            {onClose && (
              <button
                type="button"
                aria-label="Clear the selection"
                onClick={onClose}
                className="rounded px-2 py-0.5 text-lg leading-none hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-600 dark:hover:bg-slate-800"
              >
                ×
              </button>
            )}
          </div>
          {!topology ? (
            <p className="px-4 text-sm text-slate-600 dark:text-slate-400">Waiting for the topology…</p>
          ) : pending ? (
            <p data-testid="side-panel-pending" className="px-4 text-sm text-slate-600 dark:text-slate-400">
              Loading {selection.kind === 'pod' ? 'the pod and its node' : 'the node’s pods and routes'}…
            </p>
          ) : pod ? (
            <PodDetails pod={pod} topology={topology} onSelect={onSelect} />
          ) : node ? (
            <NodeDetails node={node} topology={topology} onSelect={onSelect} />
          ) : (
            <p className="px-4 text-sm text-slate-700 dark:text-slate-300">
              There is no {selection.kind} “{selection.key}” in this cluster now
              {selection.kind === 'pod' ? ' (a pod key is NAMESPACE/NAME)' : ''}. It may have been deleted; search for
              it with <kbd className="font-mono">/</kbd>.
            </p>
          )}
        </>
      )}
    </div>
  );
}
