#!/usr/bin/env bash
# bench/admin/run.sh: builds pbkdf2-cost against GLib and GnuTLS and prints the cost of one admin
# password check by password length and PBKDF2 implementation (no daemon; about a minute).
#
# Usage: bench/admin/run.sh   (from anywhere; needs g++, glib's and gnutls's -dev)
# The main-loop stall during a check, with a daemon: node bench/admin/stall.mjs (see README.md).
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
out="${ADMIN_BENCH_DIR:-$(mktemp -d)}"
cxx="${CXX:-g++}"
"$cxx" -std=c++20 -O2 -I"$src/src" -o "$out/pbkdf2-cost" "$src/bench/admin/pbkdf2-cost.cpp" \
  "$src/src/server/password-hash.cpp" $(pkg-config --cflags --libs glib-2.0 gnutls)
echo "# One admin password check (PBKDF2-HMAC-SHA256), by password length"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "- GnuTLS $(pkg-config --modversion gnutls), GLib $(pkg-config --modversion glib-2.0); best of 3"
echo
"$out/pbkdf2-cost"
