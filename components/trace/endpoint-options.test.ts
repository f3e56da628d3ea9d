import { describe, expect, it } from 'vitest';
import { referenceLab } from '../topology/fixtures';
import { endpointOptions } from './endpoint-options';

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
