// DEL: remove the veth, release the lease, forget the attachment. Idempotent: a second
// DEL, a namespace that is gone, a link that is gone — all success (spec: "DEL must
// succeed when the resources are already released").
import { AttachmentStore } from '../../lib/state/attachments.js';
import { logTo } from '../log.js';
import { parseJson, parsePodnetConf } from '../netconf.js';
import type { VerbContext } from '../run.js';
import { ipamClient } from './ipam-client.js';
import { deleteLink } from './kernel.js';
import { hostVethName } from './names.js';

export function cmdDel({ env, stdin }: VerbContext): void {
  const conf = parsePodnetConf(parseJson(stdin), 'DEL');
  logTo(conf.stateDir);
  const attachments = new AttachmentStore(conf.stateDir, conf.name);
  const recorded = attachments.read(env.containerID, env.ifname);
  // Deleting the host end removes the pod's end with it, wherever its namespace is.
  deleteLink(recorded?.hostVeth ?? hostVethName(env.containerID, env.ifname));
  ipamClient(conf, env, stdin).del();
  attachments.remove(env.containerID, env.ifname);
  // An ADD killed midway (a runtime's timeout) left its pending file: DEL is its cleanup.
  attachments.removePending(env.containerID, env.ifname);
}
