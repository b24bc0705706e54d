#!/usr/bin/env bash
# Builds one libFuzzer target with clang++ (ASan, UBSan) and runs it for a bounded time; exits 77 without clang or a library.
#
# Usage: run-fuzz.sh SOURCE_ROOT BUILD_ROOT SECONDS NAME PACKAGES [SOURCE...]
#   NAME      the target: tests/fuzz/fuzz-NAME.cpp is its harness, tests/fuzz/corpus-NAME its seed
#             corpus, tests/fuzz/NAME.dict its dictionary (when there is one)
#   PACKAGES  the pkg-config packages it links, comma-separated
#   SOURCE    the files of src/ it compiles with the harness (paths under src/)
# Everything goes to BUILD_ROOT/tests/fuzz/NAME: the fuzzer (rebuilt only when a source or header
# changed), the inputs found this run (corpus/, emptied first), a crashing input (crash-*) and
# the log (fuzz.log). The seed corpus is read, never written. tests/fuzz/meson.build lists the
# targets; docs/fuzzing.md says how to run one for longer and what to do with a crash.
set -euo pipefail
src="$1"
build_root="$2"
seconds="${FUZZ_SECONDS:-$3}" # FUZZ_SECONDS: a longer run by hand (docs/fuzzing.md)
name="$4"
IFS=, read -r -a packages <<< "$5"
shift 5
fuzz_dir="$src/tests/fuzz"
out="$build_root/tests/fuzz/$name"
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
if ! libs=$(pkg-config --cflags --libs "${packages[@]}"); then
  echo "SKIP: pkg-config does not find ${packages[*]}"
  exit 77
fi
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=all)

# Without the fuzzer and sanitizer runtimes (libclang-rt-14-dev) nothing links.
probe="$build_root/tests/fuzz/probe-$(basename "$cxx")"
if [ ! -x "$probe" ]; then
  printf '#include <cstdint>\n#include <string>\nextern "C" int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return std::string(d, d + n).size() > 1 ? 0 : 0; }\n' \
    > "$probe.cpp"
  if ! "$cxx" "${flags[@]}" -o "$probe" "$probe.cpp" 2> "$probe.log"; then
    cat "$probe.log"
    echo "SKIP: $cxx cannot link a libFuzzer program with ASan and UBSan (apt-get install libclang-rt-14-dev)"
    exit 77
  fi
fi

sources=("$fuzz_dir/fuzz-$name.cpp")
for s in "$@"; do sources+=("$src/src/$s"); done
fuzzer="$out/fuzz-$name"
stale=0
[ -x "$fuzzer" ] || stale=1
for f in "${sources[@]}" "$src"/src/*/*.hpp "$fuzz_dir"/*.hpp "$build_root/callbox-build.h" "$0"; do
  [ "$f" -nt "$fuzzer" ] && stale=1
done
if [ "$stale" = 1 ]; then
  echo "building $fuzzer with $cxx"
  # shellcheck disable=SC2086
  "$cxx" "${flags[@]}" -I"$src/src" -I"$build_root" -o "$fuzzer.tmp" "${sources[@]}" $libs
  mv "$fuzzer.tmp" "$fuzzer"
fi

dict=()
[ -f "$fuzz_dir/$name.dict" ] && dict=(-dict="$fuzz_dir/$name.dict")
rm -rf "$out/corpus" "$out/tmp"
mkdir -p "$out/corpus" "$out/tmp"
export TMPDIR="$out/tmp" # what a harness makes on disk (fuzz-static-path's web root)
# libFuzzer checks each input for leaks itself (-detect_leaks=1). The check at exit would only
# see what the libraries keep to the end (tests/sanitizers/lsan.supp): it is off.
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:leak_check_at_exit=0:${ASAN_OPTIONS:-}"
export LSAN_OPTIONS="suppressions=$src/tests/sanitizers/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export G_SLICE=always-malloc
set +e
"$fuzzer" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "${dict[@]}" -artifact_prefix="$out/" \
  "$out/corpus" "$fuzz_dir/corpus-$name" > "$out/fuzz.log" 2>&1
status=$? # libFuzzer exits 77 (meson's "skipped") on a crash: map every failure to 1 below
set -e
grep -E '^INFO: (Seed|Loaded|seed corpus)|^#[0-9]+[[:space:]]+(INITED|DONE)|^Done|^stat::' "$out/fuzz.log" || true
if [ "$status" != 0 ]; then
  tail -n 60 "$out/fuzz.log"
  echo "FAIL: the fuzzer stopped with status $status; the input is in $out/crash-* (log: $out/fuzz.log)"
  exit 1
fi
echo "OK: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/fuzz.log" | cut -d' ' -f2) inputs in ${seconds} s, $(ls "$out/corpus" | wc -l) new corpus inputs, no invariant broken"
