// A node's routing table in the side panel, rendered as the server renders it: a node of a
// big cluster lists its first ROUTES_SHOWN routes and offers the rest; a small one lists all.
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Route } from '../../lib/model/snapshot';
import { node, referenceLab } from '../topology/fixtures';
import { ROUTES_SHOWN, SidePanel } from './SidePanel';

const routes = (n: number): Route[] =>
  Array.from({ length: n }, (_, i) => ({
    dst: `10.244.${i + 2}.0/24`,
    gateway: '192.168.1.12',
    dev: 'eth0',
    protocol: 'static',
    scope: null,
    ownedByPodnet: true,
  }));

function panelOf(n: number): string {
  const topology = { ...referenceLab, nodes: [node(1, { routes: routes(n) }), ...referenceLab.nodes.slice(1)] };
  return renderToStaticMarkup(
    createElement(SidePanel, { topology, selection: { kind: 'node', key: 'node1' }, onSelect: () => {} }),
  );
}

const rows = (html: string) => (html.match(/data-owned-by-podnet=/g) ?? []).length;

describe('the side panel’s routing table', () => {
  it(`lists a big node's first ${ROUTES_SHOWN} routes and offers all`, () => {
    const html = panelOf(1000);
    expect(rows(html)).toBe(ROUTES_SHOWN);
    expect(html).toContain('10.244.2.0/24');
    expect(html).not.toContain('10.244.1001.0/24');
    expect(html).toMatch(/Show all (<!-- -->)?1000(<!-- -->)? routes/);
  });

  it('lists every route of a node with few, and offers nothing more', () => {
    const html = panelOf(12);
    expect(rows(html)).toBe(12);
    expect(html).not.toContain('data-testid="node-routes-all"');
  });
});
