#!/usr/bin/env bash
# Builds the JSON-reader fuzzer with clang++ (libFuzzer, ASan, UBSan) and runs it for a bounded time; exits 77 without clang.
#
# Usage: run-fuzz.sh SOURCE_ROOT BUILD_DIR SECONDS
# The seed corpus (tests/fuzz/corpus-json) is read, never written: new inputs go to
# BUILD_DIR/corpus, a crashing input to BUILD_DIR/crash-*. Rebuilds only when a source changed.
set -euo pipefail
src="$1"
out="$2"
seconds="$3"
mkdir -p "$out"

# $FUZZ_CXX names another compiler; by default the first clang++ found.
cxx=""
for c in ${FUZZ_CXX:-clang++ clang++-14 clang++-15 clang++-16}; do
  if command -v "$c" >/dev/null; then cxx="$c"; break; fi
done
if [ -z "$cxx" ]; then
  echo "SKIP: no clang++ (apt-get install clang libclang-rt-14-dev)"
  exit 77
fi
if ! glib=$(pkg-config --cflags --libs glib-2.0); then
  echo "SKIP: glib-2.0 not found by pkg-config"
  exit 77
fi
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all)

# Without the fuzzer and sanitizer runtimes (libclang-rt-14-dev) nothing links.
probe="$out/probe-$(basename "$cxx")"
if [ ! -x "$probe" ]; then
  printf '#include <cstdint>\n#include <string>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return std::string(d, d + n).size() > 1 ? 0 : 0; }\n' \
    > "$out/probe.cpp"
  if ! "$cxx" "${flags[@]}" -o "$probe" "$out/probe.cpp" 2> "$out/probe.log"; then
    cat "$out/probe.log"
    echo "SKIP: $cxx cannot link a libFuzzer program with ASan and UBSan (apt-get install libclang-rt-14-dev)"
    exit 77
  fi
fi

sources=("$src/tests/fuzz/fuzz-json-reader.cpp" "$src/src/protocol/json-reader.cpp"
         "$src/src/protocol/json-writer.cpp" "$src/src/protocol/parser.cpp")
fuzzer="$out/fuzz-json-reader"
stale=0
[ -x "$fuzzer" ] || stale=1
for f in "${sources[@]}" "$src"/src/protocol/*.hpp "$0"; do
  [ "$f" -nt "$fuzzer" ] && stale=1
done
if [ "$stale" = 1 ]; then
  echo "building $fuzzer with $cxx"
  # shellcheck disable=SC2086
  "$cxx" "${flags[@]}" -I"$src/src" -o "$fuzzer.tmp" "${sources[@]}" $glib
  mv "$fuzzer.tmp" "$fuzzer"
fi

rm -rf "$out/corpus"
mkdir -p "$out/corpus"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
set +e
"$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -dict="$src/tests/fuzz/json.dict" -artifact_prefix="$out/" \
  "$out/corpus" "$src/tests/fuzz/corpus-json" > "$out/fuzz.log" 2>&1
status=$? # libFuzzer exits 77 (meson's "skipped") on a crash: map every failure to 1 below
set -e
grep -E '^INFO: (Seed|Loaded|seed corpus)|^#[0-9]+[[:space:]]+(INITED|DONE)|^Done|^stat::' "$out/fuzz.log" || true
if [ "$status" != 0 ]; then
  tail -n 60 "$out/fuzz.log"
  echo "FAIL: the fuzzer stopped with status $status; the input is in $out/crash-* (log: $out/fuzz.log)"
  exit 1
fi
echo "OK: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/fuzz.log" | cut -d' ' -f2) inputs in ${seconds} s, $(ls "$out/corpus" | wc -l) new corpus inputs, no invariant broken"
