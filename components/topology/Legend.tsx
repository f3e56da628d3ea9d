// What the graph's colours mean, from the same LEGEND the stylesheet is built with.
import type { JSX } from 'react';
import { LEGEND, type Theme } from './styles';

/** `trace`: a traced path is on the graph, so its marks are explained too. */
export function Legend({
  theme = 'light',
  className,
  trace = false,
}: {
  theme?: Theme;
  className?: string;
  trace?: boolean;
}): JSX.Element {
  return (
    <ul data-testid="legend" className={className ?? 'flex flex-wrap gap-x-4 gap-y-1 text-xs'}>
      {LEGEND.filter((e) => trace || !e.trace).map((e) => {
        const colour = theme === 'dark' ? e.darkColour : e.colour;
        const border = `2px ${e.dashed ? 'dashed' : 'solid'} ${colour}`;
        return (
          <li key={e.key} data-key={e.key} className="flex items-center gap-1.5" title={e.description}>
            {e.mark === 'box' ? (
              <span aria-hidden style={{ display: 'inline-block', width: 14, height: 10, borderRadius: 3, border }} />
            ) : (
              <span aria-hidden style={{ display: 'inline-block', width: 18, height: 0, borderTop: border }} />
            )}
            <span>{e.label}</span>
          </li>
        );
      })}
    </ul>
  );
}
