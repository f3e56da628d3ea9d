// Names and addresses podnet chooses for the kernel objects it creates.
import { hashHex } from '../../lib/model/hash.js';

/** The host end of a pod's veth: stable for (containerID, ifname), so DEL finds it even
 *  without the netns or a record, and 15 characters, the kernel's limit. */
export function hostVethName(containerID: string, ifname: string): string {
  return 'veth' + hashHex(`${containerID}/${ifname}`, 11);
}

export const HOST_VETH_PATTERN = /^veth[0-9a-f]{11}$/;

/** A random unicast, locally administered MAC: set explicitly so ADD need not read it
 *  back. Math.random is enough (V8 seeds it per process) and spares loading node:crypto. */
export function randomMac(): string {
  const b = Array.from({ length: 6 }, () => Math.floor(Math.random() * 256));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
