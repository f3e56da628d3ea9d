// The podnet-ipam executable: host-local's configuration and lease layout, with
// podnet's lock discipline. Usable under podnet or under the reference bridge plugin.
import { DEFAULT_STATE_DIR } from '../../lib/model/cni.js';
import { CniError, ErrorCode } from '../errors.js';
import { optString } from '../fields.js';
import { logTo } from '../log.js';
import { parseBase, parseIpamConf, parseJson } from '../netconf.js';
import { runPlugin, type VerbContext } from '../run.js';
import { resultForVersion } from '../version.js';
import { parseIpamSettings } from './conf.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from './verbs.js';

function load({ env, stdin }: VerbContext) {
  const raw = parseJson(stdin);
  const base = parseBase(raw, env.command);
  logTo(optString(raw, 'stateDir') ?? DEFAULT_STATE_DIR);
  return { base, settings: parseIpamSettings(parseIpamConf(raw)) };
}

runPlugin('podnet-ipam', {
  ADD(ctx) {
    const { base, settings } = load(ctx);
    const { result } = ipamAdd(settings, base.name, ctx.env.containerID, ctx.env.ifname, base.cniVersion);
    return resultForVersion(result, base.cniVersion);
  },
  DEL(ctx) {
    const { base, settings } = load(ctx);
    ipamDel(settings, base.name, ctx.env.containerID, ctx.env.ifname);
  },
  CHECK(ctx) {
    const { base, settings } = load(ctx);
    if (!base.prevResult)
      throw new CniError(ErrorCode.InvalidNetworkConfig, 'CHECK needs prevResult in the configuration');
    ipamCheck(settings, base.name, ctx.env.containerID, ctx.env.ifname, base.prevResult);
  },
  GC(ctx) {
    const { base, settings } = load(ctx);
    ipamGc(settings, base.name, base.validAttachments ?? []);
  },
  STATUS(ctx) {
    const { base, settings } = load(ctx);
    ipamStatus(settings, base.name);
  },
});
