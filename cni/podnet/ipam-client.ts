// podnet's IPAM, one interface over two paths: podnet-ipam runs in-process (it is the
// same code as the podnet-ipam executable, without a second Node start-up); any other
// type (the reference host-local, say) is executed from CNI_PATH as the spec describes.
import type { CniResult, ValidAttachment } from '../../lib/model/cni.js';
import { execPlugin, findPlugin } from '../delegate.js';
import type { CniEnv } from '../env.js';
import { parseIpamSettings } from '../ipam/conf.js';
import { ipamAdd, ipamCheck, ipamDel, ipamGc, ipamStatus } from '../ipam/verbs.js';
import type { PodnetConf } from '../netconf.js';
import { compareVersions, normalizeResult } from '../version.js';

export interface IpamClient {
  readonly type: string;
  /** `fresh` is false when the container already held its leases (ADD repeated). */
  add(): { result: CniResult; fresh: boolean };
  del(): void;
  check(prev: CniResult): void;
  /** Releases the leases of attachments neither in `valid` nor named by `inFlight` (ADDs under
   *  way, asked as late as the IPAM allows). Returns what it could not collect, for the log;
   *  null when everything was handled. */
  gc(valid: ValidAttachment[], stale: ValidAttachment[], inFlight: () => ValidAttachment[]): string | null;
  status(): void;
}

export const IN_PROCESS_IPAM = 'podnet-ipam';

export function ipamClient(conf: PodnetConf, env: CniEnv, stdin: string): IpamClient {
  const type = conf.ipam.type;
  if (type === IN_PROCESS_IPAM) {
    const settings = parseIpamSettings(conf.ipam);
    return {
      type,
      add: () => ipamAdd(settings, conf.name, env.containerID, env.ifname, conf.cniVersion),
      del: () => void ipamDel(settings, conf.name, env.containerID, env.ifname),
      check: (prev) => ipamCheck(settings, conf.name, env.containerID, env.ifname, prev),
      gc: (valid, _stale, inFlight) => (ipamGc(settings, conf.name, valid, inFlight), null),
      status: () => ipamStatus(settings, conf.name),
    };
  }
  const file = () => findPlugin(type, env.path);
  const versions = () => {
    const v = execPlugin(file(), 'VERSION', JSON.stringify({ cniVersion: conf.cniVersion }), env.vars) as {
      supportedVersions?: unknown;
    };
    return Array.isArray(v?.supportedVersions) ? (v.supportedVersions as string[]) : [];
  };
  return {
    type,
    add: () => ({ result: normalizeResult(execPlugin(file(), 'ADD', stdin, env.vars), `${type} result`), fresh: true }),
    del: () => void execPlugin(file(), 'DEL', stdin, env.vars),
    check: () => void execPlugin(file(), 'CHECK', stdin, env.vars),
    gc(valid, stale, inFlight) {
      const spoken = versions();
      if (spoken.includes('1.1.0')) {
        // Its lease lock is its own: ADDs under way are named as valid, as of now.
        const withInFlight = {
          ...(JSON.parse(stdin) as Record<string, unknown>),
          'cni.dev/valid-attachments': [...valid, ...inFlight()],
        };
        execPlugin(file(), 'GC', JSON.stringify(withInFlight), env.vars);
        return null;
      }
      // An IPAM plugin from before spec 1.1 has no GC: release what podnet knows was
      // leased (its attachment records) with DEL, in the newest version the plugin speaks.
      const version = [...spoken].sort(compareVersions).pop() ?? '1.0.0';
      const { ['cni.dev/valid-attachments']: _drop, ...delConf } = JSON.parse(stdin) as Record<string, unknown>;
      const delStdin = JSON.stringify({ ...delConf, cniVersion: version });
      const failed: string[] = [];
      for (const a of stale) {
        try {
          execPlugin(file(), 'DEL', delStdin, env.vars, { CNI_CONTAINERID: a.containerID, CNI_IFNAME: a.ifname });
        } catch (e) {
          failed.push(`${a.containerID}/${a.ifname}: ${(e as Error).message}`);
        }
      }
      return (
        `ipam plugin ${type} does not speak CNI 1.1.0, so it has no GC: podnet released with DEL the leases of the ${stale.length} stale attachment(s) it had recorded; ` +
        `leases ${type} holds for containers podnet never recorded were not checked` +
        (failed.length ? `; DEL failed for ${failed.join('; ')}` : '')
      );
    },
    status() {
      if (versions().includes('1.1.0')) execPlugin(file(), 'STATUS', stdin, env.vars);
    },
  };
}
