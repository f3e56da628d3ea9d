// GC (spec 1.1): forget every attachment not in cni.dev/valid-attachments — its veth,
// its lease, its record — and podnet-named veths on the bridge that no record explains
// (left by an ADD killed before it wrote its record).
import type { ValidAttachment } from '../../lib/model/cni.js';
import { AttachmentStore } from '../../lib/state/attachments.js';
import { log, logTo } from '../log.js';
import { parseJson, parsePodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { ipamClient } from './ipam-client.js';
import { bridgePorts, deleteLink } from './kernel.js';
import { removeMasquerade } from './masq.js';
import { HOST_VETH_PATTERN, hostVethName } from './names.js';

const key = (a: ValidAttachment) => `${a.containerID}\n${a.ifname}`;

export function cmdGc({ env, stdin }: VerbContext): void {
  const conf = parsePodnetConf(parseJson(stdin), 'GC');
  logTo(conf.stateDir);
  const valid = conf.validAttachments ?? [];
  const keep = new Set(valid.map(key));
  const keepVeths = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  const attachments = new AttachmentStore(conf.stateDir, conf.name);

  const stale = attachments.list().filter((a) => !keep.has(key(a)));
  for (const a of stale) deleteLink(a.hostVeth);
  for (const port of bridgePorts(conf.bridge)) {
    if (HOST_VETH_PATTERN.test(port.ifname) && !keepVeths.has(port.ifname)) deleteLink(port.ifname);
  }
  const unchecked = ipamClient(conf, env, stdin).gc(valid, stale);
  if (unchecked) log('warn', unchecked, { network: conf.name });
  for (const a of stale) attachments.remove(a.containerID, a.ifname);
  if (conf.ipMasq && valid.length === 0) removeMasquerade(conf.name);
  log('info', `GC removed ${stale.length} stale attachment(s)`, { network: conf.name, stale: stale.map(key) });
}
