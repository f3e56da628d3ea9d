'use client';
// The right-hand panel's tabs: the selection's details, the trace, the connectivity
// matrix. A tab list as the ARIA pattern has it: arrow keys move between tabs, each tab
// names the panel it shows; panels stay mounted (hidden), so a running trace or matrix
// keeps going while another tab is open. Each panel scrolls on its own, under the tabs,
// so what a panel keeps at its top (a trace's outcome) can stay there.
import { useRef, type ReactNode } from 'react';

export interface PanelTab<K extends string> {
  key: K;
  label: ReactNode;
  panel: ReactNode;
}

export function PanelTabs<K extends string>({
  tabs,
  active,
  onChange,
  label,
}: {
  tabs: PanelTab<K>[];
  active: K;
  onChange: (k: K) => void;
  label: string;
}) {
  const buttons = useRef(new Map<K, HTMLButtonElement>());
  const move = (from: number, by: number) => {
    const next = tabs[(from + by + tabs.length) % tabs.length]!;
    onChange(next.key);
    buttons.current.get(next.key)?.focus();
  };
  return (
    <div className="flex h-full min-h-0 flex-col">
      <div
        role="tablist"
        aria-label={label}
        className="flex shrink-0 border-b border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-950"
      >
        {tabs.map((t, i) => (
          <button
            key={t.key}
            ref={(el) => {
              if (el) buttons.current.set(t.key, el);
              else buttons.current.delete(t.key);
            }}
            type="button"
            role="tab"
            id={`tab-${t.key}`}
            data-testid={`tab-${t.key}`}
            aria-selected={active === t.key}
            aria-controls={`tabpanel-${t.key}`}
            tabIndex={active === t.key ? 0 : -1}
            onClick={() => onChange(t.key)}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight') move(i, 1);
              else if (e.key === 'ArrowLeft') move(i, -1);
              else return;
              e.preventDefault();
            }}
            className={`-mb-px border-b-2 px-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-600 ${
              active === t.key
                ? 'border-sky-600 font-semibold text-slate-900 dark:border-sky-400 dark:text-slate-100'
                : 'border-transparent text-slate-600 hover:text-slate-900 dark:text-slate-400 dark:hover:text-slate-100'
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>
      {tabs.map((t) => (
        <div
          key={t.key}
          role="tabpanel"
          id={`tabpanel-${t.key}`}
          aria-labelledby={`tab-${t.key}`}
          hidden={active !== t.key}
          className="min-h-0 flex-1 overflow-auto"
        >
          {t.panel}
        </div>
      ))}
    </div>
  );
}
