'use client';
// One end of a trace, typed with completion: a pod by name, namespace or IP, or (for the
// destination) an IPv4 address. Arrows move through the list, Enter or a click takes an
// option, Escape closes the list; the box keeps whatever is typed.
import { useId, useMemo, useState } from 'react';
import type { Topology } from '../../lib/model/topology';
import { comboboxKeys } from '../panels/combobox-keys';
import { useRemoteSearch, type Remote } from '../data/use-remote-list';
import { endpointOptions, remoteEndpointOptions, type EndpointOption } from './endpoint-options';

export const inputClass =
  'w-full rounded-md border border-slate-300 bg-white px-2 py-1 font-mono text-sm placeholder:font-sans placeholder:text-slate-500 focus-visible:outline-2 focus-visible:outline-offset-1 focus-visible:outline-sky-600 dark:border-slate-600 dark:bg-slate-900 dark:placeholder:text-slate-400';

export function EndpointInput(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  topology: Topology | null;
  allowIp: boolean;
  placeholder: string;
  testId: string;
  /** Enter with the list closed */
  onSubmit: () => void;
  /** the page does not hold every pod: completions come from topology.search */
  remote?: Remote;
}) {
  const { label, value, onChange, topology, allowIp, placeholder, testId, onSubmit, remote } = props;
  const id = useId();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const results = useRemoteSearch(remote, value, open).data?.results;
  const options = useMemo(() => {
    if (!open) return [];
    if (remote) return remoteEndpointOptions(results ?? [], value, allowIp);
    return endpointOptions(topology, value, allowIp);
  }, [open, remote, results, topology, value, allowIp]);
  const showList = open && value.trim() !== '' && options.length > 0;

  const take = (o: EndpointOption | undefined) => {
    if (o) onChange(o.value);
    setOpen(false);
  };

  return (
    <div className="relative min-w-0">
      <label htmlFor={`${id}-in`} className="mb-0.5 block text-xs font-medium text-slate-700 dark:text-slate-300">
        {label}
      </label>
      <input
        id={`${id}-in`}
        data-testid={testId}
        type="text"
        role="combobox"
        aria-expanded={showList}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={showList && options[active] ? `${id}-${active}` : undefined}
        autoComplete="off"
        spellCheck={false}
        placeholder={placeholder}
        value={value}
        onChange={(e) => {
          onChange(e.target.value);
          setActive(0);
          setOpen(true);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) =>
          comboboxKeys(e, {
            count: options.length,
            setActive,
            open: () => setOpen(true),
            enter: () => (showList ? take(options[active]) : onSubmit()),
            escape: () => {
              if (!showList) return;
              e.stopPropagation();
              setOpen(false);
            },
          })
        }
        className={inputClass}
      />
      {showList && (
        <ul
          id={`${id}-list`}
          role="listbox"
          aria-label={`${label}: matches`}
          data-testid={`${testId}-options`}
          className="absolute right-0 left-0 z-30 mt-1 max-h-72 overflow-auto rounded-md border border-slate-300 bg-white py-1 text-sm shadow-lg dark:border-slate-600 dark:bg-slate-900"
        >
          {options.map((o, i) => (
            <li
              key={o.value}
              id={`${id}-${i}`}
              role="option"
              aria-selected={i === active}
              data-testid="endpoint-option"
              data-value={o.value}
              onMouseDown={(e) => e.preventDefault() /* keep focus in the box until the click lands */}
              onMouseEnter={() => setActive(i)}
              onClick={() => take(o)}
              className={`flex cursor-pointer items-baseline gap-2 px-2 py-1 ${i === active ? 'bg-sky-100 dark:bg-sky-900' : ''}`}
            >
              <span className="truncate font-medium">{o.label}</span>
              <span className="ml-auto shrink-0 font-mono text-xs text-slate-600 dark:text-slate-400">{o.detail}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
