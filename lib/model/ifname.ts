// Interface names as the kernel accepts them (dev_valid_name): 1–15 bytes, not "." or
// "..", no "/", ":" or whitespace — and no "%": the kernel takes "eth%d" as a pattern and
// names the link eth0, eth1…, so the name asked for is not the name made. Every name from
// outside (CNI_IFNAME, a request to the agent) is checked with this before it reaches `ip`.
// Isomorphic.
const encoder = new TextEncoder();

export function validIfname(name: string): boolean {
  // Bytes, not characters: "ä" is two bytes to the kernel.
  const bytes = encoder.encode(name).length;
  return bytes > 0 && bytes < 16 && name !== '.' && name !== '..' && !/[/:%\s]/.test(name);
}

export const IFNAME_RULE = '1-15 bytes, no "/", ":", "%" or whitespace, not "." or ".."';
