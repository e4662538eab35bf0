#!/usr/bin/env bash
# Fuzzes woolink's pure decision functions for a bounded time on stable Rust:
#   normalize_url    StoreUrl::parse_with_notes (no panic, idempotent, host kept)
#   classify_answer  probe::verdict::judge / challenge / error_code (no panic)
# Usage: fuzz/run.sh [SECONDS_PER_TARGET]   (default 20; or FUZZ_SECONDS)
# `-s none` builds without a sanitizer: the default (address) needs nightly. `--dev` builds without
# optimisation: for runs of seconds, compiling fast matters more than executions per second
# (FUZZ_PROFILE=release for long runs). A crash leaves its input under fuzz/artifacts/<target>/
# and makes this script exit non-zero.
set -euo pipefail
cd "$(dirname "$0")"

seconds="${1:-${FUZZ_SECONDS:-20}}"
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
for target in $(cargo fuzz list); do
    echo "== fuzzing $target for ${seconds}s"
    profile=(--dev)
    [ "${FUZZ_PROFILE:-dev}" = release ] && profile=()
    cargo fuzz run "$target" -s none "${profile[@]}" -- -max_total_time="$seconds" -print_final_stats=1
done
