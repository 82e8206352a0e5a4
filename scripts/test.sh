#!/usr/bin/env bash
# The knot-gtm test command: install dependencies, build from scratch, run
# the unit and integration suites, then the unit suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer.  Ends with one line
# 'N passed, M failed'; exits non-zero on any failure.
#
#   scripts/test.sh [--no-deps] [--no-asan]
#
# Build directories: $BUILD_DIR (default build) and $ASAN_BUILD_DIR
# (default build-asan), both recreated.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1

DEPS=1
ASAN=1
for arg in "$@"; do
    case "$arg" in
        --no-deps) DEPS=0 ;;
        --no-asan) ASAN=0 ;;
        -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown argument $arg" >&2; exit 2 ;;
    esac
done

BUILD_DIR="${BUILD_DIR:-build}"
ASAN_BUILD_DIR="${ASAN_BUILD_DIR:-build-asan}"
failed_steps=0
logs=()
labels=()

step() { printf '\n==> %s\n' "$*"; }

if [ "$DEPS" = 1 ]; then
    step "dependencies (scripts/deps.sh)"
    scripts/deps.sh || { echo "test.sh: dependency installation failed" >&2; exit 1; }
fi

build_and_test() {   # dir label meson-setup-args... -- meson-test-args...
    local dir="$1" label="$2"; shift 2
    local setup=() test=()
    while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do setup+=("$1"); shift; done
    [ "$#" -gt 0 ] && shift
    test=("$@")

    step "$label: meson setup $dir ${setup[*]}"
    rm -rf "$dir"
    if ! meson setup "$dir" "${setup[@]}"; then
        echo "test.sh: $label: meson setup failed" >&2
        failed_steps=$((failed_steps + 1)); return
    fi
    step "$label: ninja -C $dir"
    if ! ninja -C "$dir"; then
        echo "test.sh: $label: build failed" >&2
        failed_steps=$((failed_steps + 1)); return
    fi
    step "$label: meson test -C $dir --print-errorlogs ${test[*]}"
    meson test -C "$dir" --print-errorlogs "${test[@]}"
    if [ -f "$dir/meson-logs/testlog.json" ]; then
        logs+=("$dir/meson-logs/testlog.json"); labels+=("$label")
    else
        failed_steps=$((failed_steps + 1))
    fi
}

build_and_test "$BUILD_DIR" default

if [ "$ASAN" = 1 ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    build_and_test "$ASAN_BUILD_DIR" asan -Db_sanitize=address,undefined \
        -Db_lundef=false -- --suite unit
fi

step "summary"
label_args=()
for l in "${labels[@]}"; do label_args+=(--label "$l"); done
/usr/bin/python3 scripts/summarize.py --failed-steps "$failed_steps" \
    "${label_args[@]}" "${logs[@]}"
