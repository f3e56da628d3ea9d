'use client';
// The graph as a PNG and the topology as JSON, named after the cluster and the time, for
// an incident ticket or a diff against tomorrow's.
import { useState, type RefObject } from 'react';
import type { Topology } from '../../lib/model/topology';
import { remoteClient } from '../data/use-remote-list';
import { secondaryButton } from './button-styles';

/** The graph's imperative side, as much of it as exporting needs. */
export interface PngSource {
  exportPng(): string | null;
}

/** "podnet-px-20250101-021305": safe in a file name on any system */
export function exportName(cluster: string, at = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}${p(at.getMonth() + 1)}${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}${p(at.getSeconds())}`;
  const safe = cluster.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'cluster';
  return `podnet-${safe}-${stamp}`;
}

export function download(href: string, filename: string): void {
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

/** Text (JSON, Markdown) as a file download. */
export function downloadText(text: string, type: string, filename: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  download(url, filename);
  // the download has started by the time the click returns; revoke on the next tick
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ExportButtons({
  topology,
  graph,
  pngUnavailable,
  partial = false,
}: {
  topology: Topology | null;
  graph: RefObject<PngSource | null>;
  pngUnavailable?: string | null;
  /** `topology` holds only the open nodes' pods (a big cluster): the JSON is the whole
   *  topology, asked of the server when clicked */
  partial?: boolean;
}) {
  const [error, setError] = useState<string | null>(null);
  const cluster = topology?.cluster.name ?? 'cluster';

  const exportPng = () => {
    const url = graph.current?.exportPng() ?? null;
    if (!url) {
      setError('The graph has nothing drawn to export yet.');
      return;
    }
    setError(null);
    download(url, `${exportName(cluster)}.png`);
  };

  const exportJson = async () => {
    if (!topology) return;
    setError(null);
    let whole = topology;
    if (partial) {
      try {
        whole = (await remoteClient().topology.snapshot.query()).topology as Topology;
      } catch (e) {
        setError(`The server did not send the topology: ${(e as Error).message}`);
        return;
      }
    }
    downloadText(JSON.stringify(whole, null, 2), 'application/json', `${exportName(cluster)}.json`);
  };

  return (
    <div role="group" aria-label="Export" className="flex items-center gap-1">
      <button
        type="button"
        data-testid="export-png"
        onClick={exportPng}
        disabled={!topology || Boolean(pngUnavailable)}
        aria-label="Export the graph as a PNG image"
        title={pngUnavailable ?? 'Download the graph as a PNG image'}
        className={secondaryButton}
      >
        PNG
      </button>
      <button
        type="button"
        data-testid="export-json"
        onClick={() => void exportJson()}
        disabled={!topology}
        aria-label="Export the topology as JSON"
        title="Download the current topology as JSON"
        className={secondaryButton}
      >
        JSON
      </button>
      {error && (
        <span role="alert" className="text-xs text-red-700 dark:text-red-300">
          {error}
        </span>
      )}
    </div>
  );
}
