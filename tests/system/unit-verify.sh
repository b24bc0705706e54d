#!/usr/bin/env bash
# System test: `systemd-analyze verify` on the generated callbox.service, ExecStart pointed at the built callboxd.
set -euo pipefail
unit=$1 callboxd=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 77; }
work=$(mktemp -d "${CALLBOX_TEST_TMP:-/tmp}/unit-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The installed path (/usr/sbin/callboxd) does not exist on a build machine; verify checks it.
sed -E "s|^ExecStart=[^ ]*/callboxd|ExecStart=${callboxd}|" "$unit" > "$work/callbox.service"
grep -q "^ExecStart=${callboxd} " "$work/callbox.service"
out=$(systemd-analyze verify --man=no "$work/callbox.service" 2>&1) || { echo "$out"; exit 1; }
# verify reports unknown settings and bad values as warnings and still exits 0: fail on any.
filtered=$(grep -v -e "Failed to connect to bus" -e "^$" <<<"$out" || true)
if [ -n "$filtered" ]; then
  echo "systemd-analyze verify complained:"
  echo "$filtered"
  exit 1
fi
echo "systemd-analyze verify: callbox.service is clean"
