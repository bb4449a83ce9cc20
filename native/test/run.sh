#!/usr/bin/env bash
# Builds the native tests three ways (plain, ThreadSanitizer, AddressSanitizer + UBSan) under
# native/test/build-{plain,tsan,asan}, runs unit, stress and lifetime in each, prints a summary and exits
# non-zero if anything failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
native="$(dirname "$here")"
jobs="$(nproc 2>/dev/null || echo 2)"

export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1"
export ASAN_OPTIONS="halt_on_error=1 detect_leaks=1 abort_on_error=1"
export UBSAN_OPTIONS="halt_on_error=1 print_stacktrace=1"

declare -a summary=()
status=0

note() {  # note <tree> <what> <result>
  summary+=("$(printf '%-6s %-7s %s' "$1" "$2" "$3")")
}

# ThreadSanitizer cannot map its shadow memory under high ASLR entropy on some kernels;
# rerun without address randomization when that is the reason it stopped.
run_tsan() {
  local log
  log="$(mktemp)"
  "$@" 2>"$log"
  local code=$?
  if [[ $code -ne 0 ]] && grep -q "unexpected memory mapping" "$log"; then
    echo "(tsan: retrying without ASLR)" >&2
    setarch "$(uname -m)" -R "$@" 2>"$log"
    code=$?
  fi
  cat "$log" >&2
  rm -f "$log"
  return $code
}

for tree in plain tsan asan; do
  build="$here/build-$tree"
  case "$tree" in
    plain) sanitizer="" ;;
    tsan) sanitizer="thread" ;;
    asan) sanitizer="address" ;;
  esac
  echo "== $tree: configure and build"
  if ! { cmake -S "$native" -B "$build" -DCMAKE_BUILD_TYPE=Release \
           -DBREAKWATER_SANITIZER="$sanitizer" >/dev/null &&
         cmake --build "$build" --parallel "$jobs" >/dev/null; }; then
    note "$tree" build FAILED
    status=1
    continue
  fi
  for test in unit stress lifetime host; do
    echo "== $tree: $test"
    if [[ $tree == tsan ]]; then
      output="$(run_tsan "$build/$test")"
    else
      output="$("$build/$test")"
    fi
    code=$?
    echo "$output"
    result="$(tail -n 1 <<<"$output")"
    if [[ $code -ne 0 ]]; then
      note "$tree" "$test" "FAILED (exit $code) ${result}"
      status=1
    else
      note "$tree" "$test" "ok  ${result}"
    fi
  done
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
# One closing line for CI: the checks of every tree added up.
passed=0
failed=0
for line in "${summary[@]}"; do
  if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
    passed=$((passed + BASH_REMATCH[1]))
    failed=$((failed + BASH_REMATCH[2]))
  fi
done
if [[ $status -ne 0 && $failed -eq 0 ]]; then failed=1; fi
echo "native: $passed passed, $failed failed"
exit $status
