import { describe, expect, it } from 'vitest';
import { referenceLab } from '../topology/fixtures';
import { endpointOptions, remoteEndpointOptions } from './endpoint-options';

const values = (q: string, allowIp: boolean) => endpointOptions(referenceLab, q, allowIp).map((o) => o.value);

describe('endpoint completion', () => {
  it('pods by name, namespace or IP; never nodes', () => {
    expect(values('web-3', false)).toEqual(['default/web-3']);
    expect(values('10.244.2.', false)).toEqual(['default/web-3', 'default/web-4']);
    expect(values('node2', false)).toEqual(['default/web-3', 'default/web-4']);
    expect(values('default', false)).toHaveLength(6);
  });

  it("a destination may be an address no pod holds; a pod's address stays the pod", () => {
    expect(values('10.244.2.200', true)).toEqual(['10.244.2.200']);
    expect(values('10.244.2.200', false)).toEqual([]);
    expect(values('10.244.2.2', true)).toEqual(['default/web-3']);
    expect(values('10.244.2', true)).toEqual(['default/web-3', 'default/web-4']);
  });

  it('nothing typed, nothing offered', () => {
    expect(values('  ', true)).toEqual([]);
  });
});

describe('remoteEndpointOptions (the server answered the search)', () => {
  const result = (key: string, score: number, detail: string) => ({
    sel: { kind: 'pod' as const, key },
    score,
    label: key,
    detail,
  });
  it('lists the pods the server found, nodes left out, and the typed address when no pod holds it exactly', () => {
    const node = { sel: { kind: 'node' as const, key: 'node2' }, score: 4, label: 'node2', detail: '' };
    const prefix = [result('default/web-7', 1, '10.244.2.17 · node2'), node];
    expect(remoteEndpointOptions(prefix, '10.244.2.1', true).map((o) => o.value)).toEqual([
      '10.244.2.1',
      'default/web-7',
    ]);
    // the destination box only: a source is always a pod
    expect(remoteEndpointOptions(prefix, '10.244.2.1', false).map((o) => o.value)).toEqual(['default/web-7']);
    const exact = [result('default/web-7', 0, '10.244.2.17 · node2')];
    expect(remoteEndpointOptions(exact, '10.244.2.17', true).map((o) => o.value)).toEqual(['default/web-7']);
  });
});
