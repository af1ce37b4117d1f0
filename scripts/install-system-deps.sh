#!/usr/bin/env bash
# Installs the system tools the test suite needs. Fails loudly if one cannot be had:
# a test that needs a tool must never be skipped silently.
set -euo pipefail
need_apt=()
command -v kubectl >/dev/null 2>&1 || need_apt+=(kubectl)
command -v git >/dev/null 2>&1 || need_apt+=(git)
# unzip unpacks the Helm test binary from its npm package (test/helpers/helm.ts).
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
if [ "${#need_apt[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-system-deps: missing ${need_apt[*]} and not root: install them first" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi
kubectl version --client >/dev/null
echo "install-system-deps: kubectl $(kubectl version --client 2>/dev/null | head -1 | awk '{print $3}'), git and unzip ok"
