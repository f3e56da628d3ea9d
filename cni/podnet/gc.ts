// GC (spec 1.1): forget every attachment not in cni.dev/valid-attachments — its veth,
// its lease, its record — and podnet-named veths on the bridge that no record explains
// (left by an ADD killed before it wrote its record). What an ADD is building right now is
// not stale, though the runtime's list cannot name it yet: an ADD writes a pending file
// before its lease and veth, and GC leaves alone every attachment whose ADD still runs,
// and every record younger than this GC (the runtime's list was made before it existed).
import type { ValidAttachment } from '../../lib/model/cni.js';
import { threadState } from '../../lib/proc/identity.js';
import { AttachmentStore, type PendingAttachment } from '../../lib/state/attachments.js';
import { log, logTo } from '../log.js';
import { parseJson, parsePodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { ipamClient } from './ipam-client.js';
import { bridgePorts, deleteLink } from './kernel.js';
import { removeMasquerade } from './masq.js';
import { HOST_VETH_PATTERN, hostVethName } from './names.js';

const key = (a: ValidAttachment) => `${a.containerID}\n${a.ifname}`;

/** A pending ADD older than this is abandoned even if its thread seems to run (a hung verb
 *  thread of a live agent): runtimes give up on an ADD long before. */
const PENDING_MAX_MS = 120_000;

interface InFlight {
  keys: Set<string>;
  veths: Set<string>;
  /** pending files of ADDs that no longer run (killed) or ran too long */
  abandoned: PendingAttachment[];
}

/** What is being built now: ADDs whose thread still runs (their result is not out yet), and
 *  records whose result went out after this GC started. */
function inFlight(attachments: AttachmentStore, gcStartedAt: number): InFlight {
  const now: InFlight = { keys: new Set(), veths: new Set(), abandoned: [] };
  for (const p of attachments.listPending()) {
    if (Date.now() - Date.parse(p.since) < PENDING_MAX_MS && threadState(p.holder) !== 'dead') {
      now.keys.add(key(p));
      now.veths.add(p.hostVeth);
    } else {
      now.abandoned.push(p);
    }
  }
  for (const a of attachments.list()) {
    if ((attachments.completedAt(a.containerID, a.ifname) ?? 0) >= gcStartedAt) {
      now.keys.add(key(a));
      now.veths.add(a.hostVeth);
    }
  }
  return now;
}

export function cmdGc({ env, stdin, startedAt }: VerbContext): void {
  const conf = parsePodnetConf(parseJson(stdin), 'GC');
  logTo(conf.stateDir);
  const valid = conf.validAttachments ?? [];
  const keep = new Set(valid.map(key));
  const keepVeths = new Set(valid.map((a) => hostVethName(a.containerID, a.ifname)));
  const attachments = new AttachmentStore(conf.stateDir, conf.name);

  // The bridge's ports first: an ADD writes its pending file before its veth, so every veth
  // seen here belongs to an ADD the next read can see.
  const ports = bridgePorts(conf.bridge);
  const busy = inFlight(attachments, startedAt);
  const spared = (a: ValidAttachment) => keep.has(key(a)) || busy.keys.has(key(a));

  const stale = attachments.list().filter((a) => !spared(a));
  const abandoned = busy.abandoned.filter((p) => !spared(p));
  for (const a of [...stale, ...abandoned]) deleteLink(a.hostVeth);
  for (const port of ports) {
    if (HOST_VETH_PATTERN.test(port.ifname) && !keepVeths.has(port.ifname) && !busy.veths.has(port.ifname))
      deleteLink(port.ifname);
  }
  const staleKeys = new Set([...stale, ...abandoned].map(key));
  const asValid = (keys: Set<string>) =>
    [...keys].map((k) => ({ containerID: k.slice(0, k.indexOf('\n')), ifname: k.slice(k.indexOf('\n') + 1) }));
  const unchecked = ipamClient(conf, env, stdin).gc(valid, asValid(staleKeys), () =>
    asValid(inFlight(attachments, startedAt).keys),
  );
  if (unchecked) log('warn', unchecked, { network: conf.name });
  for (const a of stale) attachments.remove(a.containerID, a.ifname);
  for (const p of busy.abandoned) attachments.removePending(p.containerID, p.ifname, p.nonce);
  if (conf.ipMasq && valid.length === 0 && busy.keys.size === 0) removeMasquerade(conf.name);
  log('info', `GC removed ${staleKeys.size} stale attachment(s)`, {
    network: conf.name,
    stale: [...staleKeys],
    inFlight: [...busy.keys],
  });
}
