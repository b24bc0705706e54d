#!/usr/bin/env bash
# bench/json/run.sh: builds json-compare against the JSON libraries installed here and prints strictness, speed and size tables.
#
# Usage: bench/json/run.sh [--runs N] [--strictness]   (from anywhere; needs g++ and glib's -dev)
# Optional readers, each used when installed: libjson-glib-dev, libsimdjson-dev, nlohmann-json3-dev.
# Output files go to $JSON_BENCH_DIR (default: a new temporary folder).
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)"
out="${JSON_BENCH_DIR:-$(mktemp -d)}"
mkdir -p "$out"
cxx="${CXX:-g++}"
cxxflags=(-std=c++20 -O2 -I"$src/src")
defs=()
libs=($(pkg-config --cflags --libs glib-2.0))
probes=()
if pkg-config --exists json-glib-1.0; then
  defs+=(-DHAVE_JSON_GLIB); libs+=($(pkg-config --cflags --libs json-glib-1.0)); probes+=(JSON_GLIB)
fi
if [ -f /usr/include/simdjson.h ]; then
  defs+=(-DHAVE_SIMDJSON); libs+=(-lsimdjson); probes+=(SIMDJSON)
fi
if [ -f /usr/include/nlohmann/json.hpp ]; then
  defs+=(-DHAVE_NLOHMANN); probes+=(NLOHMANN)
fi

"$cxx" "${cxxflags[@]}" "${defs[@]}" -o "$out/json-compare" "$src/bench/json/json-compare.cpp" \
  "$src/src/protocol/json-reader.cpp" "$src/src/protocol/json-writer.cpp" \
  "$src/src/protocol/parser.cpp" "${libs[@]}"

echo "# JSON readers for client frames"
echo
echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(. /etc/os-release && echo "$PRETTY_NAME")"
echo "- compiler: $("$cxx" --version | head -1), ${cxxflags[*]:0:2}"
echo "- commit: $(git -C "$src" rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo
"$out/json-compare" "$@"

# Code size: the in-tree reader's source and machine code, against each library's
# probe (bench/json/size-probe.cpp) and what it adds to a system at run time.
text_size() { size -A "$1" | awk '$1 ~ /^\.text/ { t += $2 } END { print t + 0 }'; }
"$cxx" "${cxxflags[@]}" -c -o "$out/json-reader.o" "$src/src/protocol/json-reader.cpp" \
  $(pkg-config --cflags glib-2.0)
reader_lines=$(cat "$src/src/protocol/json-reader.hpp" "$src/src/protocol/json-reader.cpp" | wc -l)
reader_code=$(cat "$src/src/protocol/json-reader.hpp" "$src/src/protocol/json-reader.cpp" |
  grep -cvE '^\s*($|//)')
echo "## Code size (machine code: .text of an -O2 object file)"
echo
echo "| reader | source lines in the tree | machine code in callboxd | shared library loaded at run time | Debian packages (installed size) |"
echo "|---|---|---|---|---|"
echo "| in-tree reader | $reader_lines ($reader_code without blank and comment lines) | $(text_size "$out/json-reader.o") B | none (GLib, already linked) | none |"
for p in "${probes[@]}"; do
  flags=()
  case $p in
    JSON_GLIB) name="json-glib"; flags=($(pkg-config --cflags json-glib-1.0)); so=$(readlink -f /usr/lib/*/libjson-glib-1.0.so.0) ;;
    SIMDJSON) name="simdjson"; so=$(readlink -f /usr/lib/*/libsimdjson.so) ;;
    NLOHMANN) name="nlohmann/json"; so="" ;;
  esac
  "$cxx" "${cxxflags[@]}" "${flags[@]}" -DPROBE_$p -c -o "$out/probe-$p.o" "$src/bench/json/size-probe.cpp"
  if [ -n "$so" ]; then
    so_text="$(basename "$so"): $(stat -c %s "$so") B file, $(text_size "$so") B code"
    pkgs=$(dpkg -S "$so" | cut -d: -f1 | sort -u)
  else
    so_text="none (header-only)"
    pkgs=""
  fi
  case $p in
    JSON_GLIB) pkgs="$pkgs libjson-glib-dev" ;;
    SIMDJSON) pkgs="$pkgs libsimdjson-dev" ;;
    NLOHMANN) pkgs="nlohmann-json3-dev" ;;
  esac
  pkg_text=""
  for k in $pkgs; do
    pkg_text+="$k $(dpkg-query -W -f='${Installed-Size}' "$k" 2>/dev/null || echo '?') KiB; "
  done
  echo "| $name | 0 (call site only) | $(text_size "$out/probe-$p.o") B (the call site's probe) | $so_text | ${pkg_text%; } |"
done
echo
