// Lab ids and names: which ids are refused because their names could be the main lab's,
// and which namespaces `lab down` takes for its own by their exact planned names.
import { describe, expect, it } from 'vitest';
import { isPlannedNamespace } from './lab.js';
import { LabIdError, labPaths } from './paths.js';

describe('lab ids', () => {
  it.each([
    ['bin', '/run/podnet/bin'], // the main lab's CNI plugins
    ['nodes', '/run/podnet/nodes'],
    ['attachments', '/run/podnet/attachments'], // the plugins' records with the default stateDir
    ['lan', "main lab's lan"],
    ['router', "main lab's router"],
    ['outside', "main lab's outside"],
    ['node1', "main lab's node node1"],
    ['node180', "main lab's node node180"],
    ['pod', 'podnet-pod-NAMESPACE_NAME'],
    ['pod-kube', 'podnet-pod-NAMESPACE_NAME'], // podnet-pod-kube-pod-x_y is also the main lab's pod kube-pod-x/y
  ])('%s is refused: %s', (id, why) => {
    expect(() => labPaths(id)).toThrow(LabIdError);
    expect(() => labPaths(id)).toThrow(why);
  });

  it.each(['h2a', 'nodex', 'lans', 't1a2b3c', 'node-1', 'podx'])('%s is a lab id of its own', (id) => {
    expect(labPaths(id)).toEqual({ labId: id, stateDir: `/run/podnet/${id}`, prefix: `podnet-${id}-` });
  });
});

describe('planned namespaces', () => {
  const h2a = labPaths('h2a');
  it.each([
    'podnet-h2a-lan',
    'podnet-h2a-router',
    'podnet-h2a-outside',
    'podnet-h2a-node1',
    'podnet-h2a-node180',
    'podnet-h2a-pod-default_web-1',
    'podnet-h2a-pod-default_web-45000',
  ])("%s is lab h2a's by its exact name", (name) => expect(isPlannedNamespace(h2a, name)).toBe(true));
  it.each([
    'podnet-h2a-node181', // more nodes than a lab holds
    'podnet-h2a-node01',
    'podnet-h2a-pod-default_web-0',
    'podnet-h2a-pod-kube-system_dns', // a pod added by hand: only the inventory knows it
    'podnet-h2a-x-lan', // lab h2a-x's LAN
    'podnet-h2a-', // a prefix is not a name
    'podnet-lan', // the main lab's
    'podnet-th2a-node1',
  ])('%s is not', (name) => expect(isPlannedNamespace(h2a, name)).toBe(false));

  it("the main lab's planned names are not any other lab's or any test's", () => {
    const main = labPaths(null);
    expect(isPlannedNamespace(main, 'podnet-node3')).toBe(true);
    expect(isPlannedNamespace(main, 'podnet-h2a-node1')).toBe(false);
    expect(isPlannedNamespace(main, 'podnet-t0a1b2c-node')).toBe(false);
  });
});
