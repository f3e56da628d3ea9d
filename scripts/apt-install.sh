#!/usr/bin/env bash
# apt-install.sh PACKAGE… — installs the Debian packages that are not installed yet,
# non-interactively, retrying (a fresh machine may have no package lists, or a mirror may
# have moved on). Does nothing when everything is there.
set -euo pipefail

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
    echo "apt-install: must run as root (or with sudo available)" >&2
    exit 1
  fi
fi

missing=()
for p in "$@"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0

echo "apt-install: installing ${missing[*]}"
apt_opts=(-y -q --no-install-recommends
  -o Acquire::Retries=3
  -o DPkg::Lock::Timeout=300
  -o Dpkg::Options::=--force-confdef
  -o Dpkg::Options::=--force-confold)
for attempt in 1 2 3 4; do
  # The first try uses the lists as they are (fresh machines often have none: update then).
  if [ "$attempt" -gt 1 ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e lock -e partial)" ]; then
    "${SUDO[@]}" apt-get update -q -o Acquire::Retries=3 || true
  fi
  if "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${apt_opts[@]}" "${missing[@]}"; then
    exit 0
  fi
  echo "apt-install: apt-get install failed (attempt $attempt), retrying" >&2
  sleep $((attempt * 5))
done
echo "apt-install: could not install ${missing[*]}" >&2
exit 1
