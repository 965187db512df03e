#!/usr/bin/env bash
# Builds every fuzz target and runs each for a bounded time on a copy of the committed corpus.
#
#   fuzz/run.sh                  # every target, 60 s each
#   FUZZ_SECONDS=600 fuzz/run.sh redirect_target login_form
#
# Exits non-zero when a target crashes (the reproducer is kept under fuzz/artifacts/<target>/)
# or when the build fails, and prints one summary line per target. Uses the machine's stable
# toolchain: libFuzzer's sanitizer flags are nightly-only, and RUSTC_BOOTSTRAP=1 lets stable
# accept them (no nightly toolchain can be installed on the project's machines).
# Not part of .ci/run: building with sanitizers and fuzzing take several minutes.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${FUZZ_SECONDS:-60}"
all_targets=(cookie_tokens login_form redirect_target config_load duration http_parsers)
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    targets=("${all_targets[@]}")
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

# Prefer a toolchain named stable when rustup has one; otherwise use whatever is the default.
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^stable'; then
    export RUSTUP_TOOLCHAIN=stable
fi
export RUSTC_BOOTSTRAP=1
echo "== toolchain: $(rustc --version)"

# The same flags for build and run, so `cargo fuzz run` reuses the build. Release with debug
# assertions (integer overflow is a finding too); 16 codegen units keep the sanitizer build of
# the whole gateway (pingora, sqlx, …) to a few minutes on two cores.
build_flags=(--release --debug-assertions --codegen-units 16)

cd "$fuzz_dir"
echo "== building ${targets[*]}"
for target in "${targets[@]}"; do
    cargo fuzz build "${build_flags[@]}" "$target"
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
summary=()
failed=0
for target in "${targets[@]}"; do
    corpus="$work/corpus-$target"
    mkdir -p "$corpus"
    cp -R "corpus/$target/." "$corpus/"
    seeds=$(find "$corpus" -type f | wc -l)
    log="$work/$target.log"
    echo "== fuzzing $target for ${seconds}s ($seeds seeds)"
    status=0
    # -timeout: one input taking 10 s is a hang worth reporting; -rss_limit_mb: 2 GiB.
    cargo fuzz run "${build_flags[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
    # The last status line reads e.g. "#123456 DONE cov: 812 ft: 2301 corp: 140/9Kb ...".
    last=$(grep -E '^#[0-9]+' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    features=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || true)
    if [[ $status -eq 0 ]]; then
        result="ok"
    else
        result="CRASH (exit $status)"
        failed=1
        echo "---- $target failed; end of its log:"
        tail -n 60 "$log"
        cp "$log" "$fuzz_dir/artifacts/$target.log" 2>/dev/null || true
    fi
    summary+=("$(printf '%-16s %-18s execs=%-10s cov=%-6s ft=%-6s corpus=%s→%s' \
        "$target" "$result" "${execs:-?}" "${cov:-?}" "${features:-?}" "$seeds" "${corp:-?}")")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
    echo "== crashes found: reproducers are in $fuzz_dir/artifacts/<target>/;" \
        "replay one with: cargo fuzz run ${build_flags[*]} <target> <file>"
    exit 1
fi
echo "== no crashes"
