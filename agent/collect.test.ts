// parseDumps: the answers of one `ip -j -d -batch` of DUMPS, one JSON line per dump. Without
// /run/netns, `ip -j netns list` prints nothing at all (a fresh node, a container without
// the mount): the collection then asks for the first three only (dumpsNow) and the veths'
// far ends go unnamed; any other count is a broken answer.
import { describe, expect, it } from 'vitest';
import { DUMPS, parseDumps } from './collect.js';

const link = '[{"ifindex":1,"ifname":"lo","flags":[],"mtu":65536,"operstate":"UNKNOWN","addr_info":[]}]';

describe('parseDumps', () => {
  it('reads the four answers, the nsids from netns list', () => {
    const r = parseDumps([link, '[]', '[]', '[{"name":"pod-a","id":3},{"name":"pod-b"}]']);
    expect(r.links.map((l) => l.ifname)).toEqual(['lo']);
    expect(r.nsids).toEqual([{ nsid: 3, name: 'pod-a' }]);
  });

  it('takes three answers as "no /run/netns": no nsids', () => {
    expect(parseDumps([link, '[]', '[]']).nsids).toEqual([]);
  });

  it('refuses any other count, and an answer that is not an array', () => {
    expect(DUMPS).toHaveLength(4);
    expect(() => parseDumps([link, '[]'])).toThrow(/2 answers to 4 dumps/);
    expect(() => parseDumps([link, '[]', '[]', '[]', '[]'])).toThrow(/5 answers/);
    expect(() => parseDumps([link, '{}', '[]'])).toThrow(/route show table main is not a JSON array/);
  });
});
