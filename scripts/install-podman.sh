#!/usr/bin/env bash
# Installs what the podman test harness (test/podman.ts, cni/podman.netns.test.ts) needs
# on Debian 12: podman 4.3 with runc (never crun: it refuses this machine's cgroup layout),
# the reference CNI plugins, a static busybox to build the test image from, and the
# namespace tools. Idempotent and non-interactive; does nothing when all is there.
#
# It configures nothing: the harness brings its own containers.conf, storage.conf and
# CNI config in a temp dir, and never uses the machine's podman state.
set -euo pipefail

PACKAGES=(
  podman                       # 4.3.x in bookworm; pulls conmon and containers-common
  runc                         # listed so apt does not pick crun for podman's "crun | runc"
  conmon
  golang-github-containers-common
  containernetworking-plugins  # /usr/lib/cni: bridge, host-local (the reference test)
  busybox-static               # /bin/busybox, static: the whole test image
  iproute2                     # ip netns, ip -j link
  util-linux                   # nsenter, unshare
  mount
  tar
)

"$(dirname "$0")/apt-install.sh" "${PACKAGES[@]}"

# What the harness checks for (podmanUnavailableReason in test/podman.ts), checked here
# too so a broken install fails now, not as skipped tests.
fail=0
for cmd in podman runc conmon nsenter unshare ip tar mount; do
  if ! PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1; then
    echo "install-podman: $cmd is missing after install" >&2
    fail=1
  fi
done
for f in /bin/busybox /usr/lib/cni/bridge /usr/lib/cni/host-local; do
  [ -x "$f" ] || { echo "install-podman: $f is missing after install" >&2; fail=1; }
done
# (the list is read whole first: with pipefail, `busybox --list | grep -q` fails whenever
# grep stops reading early and busybox dies of SIGPIPE, so the check failed at random)
if [ -x /bin/busybox ] && ! grep -qx ping <<<"$(/bin/busybox --list)"; then
  echo "install-podman: /bin/busybox has no ping applet" >&2
  fail=1
fi
[ "$fail" -eq 0 ] || exit 1

echo "install-podman: $(podman --version), $(runc --version | head -1), $(/bin/busybox | head -1 | cut -d' ' -f1-2)"
