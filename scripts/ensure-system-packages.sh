#!/usr/bin/env bash
# The tests' system packages: Debian's chromium (the dashboard's browser tests), the arm64 cross
# compiler (the linux-arm64 prebuild), qemu (its smoke test under an arm64 Node), redis-server
# (the cluster's tests run a real one) and faketime (a cluster of hosts whose clocks differ). Installs what is
# missing when it can (root with apt-get); otherwise says exactly what to install and fails.
set -euo pipefail

needed=()
[[ -x /usr/bin/chromium ]] || needed+=(chromium)
command -v aarch64-linux-gnu-g++ >/dev/null || needed+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null || needed+=(qemu-user-static)
command -v redis-server >/dev/null || needed+=(redis-server)
command -v faketime >/dev/null || needed+=(faketime)
((${#needed[@]})) || exit 0

if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
  echo "installing Debian packages the tests need: ${needed[*]}"
  apt-get install -y -qq "${needed[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${needed[@]}"; }
  exit 0
fi
echo "the tests need Debian packages that are missing: ${needed[*]}" >&2
echo "install them with: sudo apt-get install ${needed[*]}" >&2
exit 1
