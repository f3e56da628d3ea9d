#!/usr/bin/env bash
# scripts/build-shim.sh — compiles the CNI fast path's two small C programs (libc only):
#   cni/shim/podnet-shim.c  → .build/podnet-shim   `podnet cni install` installs it as `podnet`
#                              (the Node plugin as `podnet-node`, its fallback); without it,
#                              install puts the Node plugin at `podnet`.
#   cni/shim/podnet-spawn.c → .build/podnet-spawn  the agent's CNI socket starts the verbs'
#                              processes through it (agent/cni-socket/); without it, with Node.
# Needs a C compiler (`cc`: Debian's gcc).
set -euo pipefail
cd "$(dirname "$0")/.."

CC="${CC:-cc}"
if ! command -v "$CC" >/dev/null 2>&1; then
  echo "build-shim: no C compiler ($CC): install Debian's gcc (apt-get install gcc)" >&2
  exit 1
fi
mkdir -p .build
tmp=""
trap 'rm -f "$tmp"' EXIT
# Static, with libc's static archive (Debian: libc6-dev, which gcc pulls in): no dynamic
# loader at start, less per CNI call (bench/README.md). The shim must be: it is copied onto
# the host's /opt/cni/bin (`podnet cni install`, the DaemonSet's init container), whose libc
# is not the one it was built against, or none podnet knows of; so a shim that cannot be
# linked static is not built (install then puts the Node plugin at `podnet`, no fast path).
# The spawn helper runs where it was built (beside the agent): dynamic is its fallback.
flags=(-O2 -Wall -Wextra -Werror)
for name in podnet-shim podnet-spawn; do
  tmp=".build/$name.tmp.$$"
  linked=static
  if ! "$CC" "${flags[@]}" -static -o "$tmp" "cni/shim/$name.c" 2>/dev/null; then
    if [ "$name" = podnet-shim ]; then
      echo "build-shim: cannot link $name static (no libc.a? Debian: apt-get install libc6-dev):" >&2
      "$CC" "${flags[@]}" -static -o "$tmp" "cni/shim/$name.c" >&2 || true
      exit 1
    fi
    "$CC" "${flags[@]}" -o "$tmp" "cni/shim/$name.c"
    linked=dynamic
  fi
  strip "$tmp" 2>/dev/null || true
  mv -f "$tmp" ".build/$name" # atomic: a concurrent install never copies half a binary
  echo "built .build/$name ($(wc -c < ".build/$name") bytes, $linked)"
done
