#!/usr/bin/env bash
# `make fuzz`, second part: coverage-guided fuzzing of the readers with libFuzzer (Sources/dlt-fuzz/Harness.swift).
# The harness and DataIO/Architecture are built with AddressSanitizer and libFuzzer's coverage instrumentation into
# .build-fuzz (DEEPTHEORY_FUZZ=1; the plain build has no such target), and run for FUZZ_SECONDS (default 300) on a
# corpus seeded from the test fixtures. Findings (crash-…, timeout-…, oom-…) go to .fuzz/findings and fail the run;
# `.build-fuzz/release/dlt-fuzz FILE` replays one.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-300}"
swiftc="$(readlink -f "$(command -v swiftc)")"
runtime="$(ls "$(dirname "$swiftc")"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null | head -1 || true)"
if [ -z "$runtime" ]; then
  echo "fuzz: this Swift toolchain has no libFuzzer runtime (libclang_rt.fuzzer_no_main); skipping the libFuzzer run"
  exit 0
fi
DEEPTHEORY_FUZZ=1 swift build -c release --build-path .build-fuzz --product dlt-fuzz \
  -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
  -Xlinker "$runtime" -Xlinker -lstdc++
mkdir -p .fuzz/corpus .fuzz/findings
# Seeds: the first byte picks the reader (0 CSV, 1 .npy, 2 .npz, 3 JSON, 4 network spec).
printf '\000x,y,z\n1,2,3\n4.5,-6e-3,7\n' > .fuzz/corpus/seed-csv
for f in Tests/DataIOTests/Fixtures/*.npy; do (printf '\001'; cat "$f") > ".fuzz/corpus/seed-$(basename "$f")"; done
for f in Tests/DataIOTests/Fixtures/*.npz; do (printf '\002'; cat "$f") > ".fuzz/corpus/seed-$(basename "$f")"; done
printf '\003{"nngp": [[1, 0.5], [0.5, 1]], "n": 3, "s": "t", "z": null}' > .fuzz/corpus/seed-json
printf '\004{"depth": 4, "widths": [8, 16, 8], "output_width": 2, "activation": "relu", "cb": 0, "cw": 2, "lambda_w": [1, 1, 1, 0.5]}' > .fuzz/corpus/seed-spec
printf '\004{"depth": 3, "width": 64, "activation": "tanh", "cb": [0.1, 0.2, 0.3], "cw": 1.5, "input_dim": 4, "parameterization": "standard"}' > .fuzz/corpus/seed-spec2
echo "fuzz: libFuzzer on the readers for $seconds s (corpus .fuzz/corpus, findings .fuzz/findings)"
ASAN_OPTIONS=detect_leaks=0 .build-fuzz/release/dlt-fuzz -max_total_time="$seconds" -timeout=2 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix=.fuzz/findings/ .fuzz/corpus 2>&1 | grep -E "INITED|DONE|ERROR|SUMMARY|stat::number_of_executed_units|stat::peak_rss|Test unit written" || true
if [ -n "$(ls -A .fuzz/findings)" ]; then
  echo "fuzz: FINDINGS in .fuzz/findings:"; ls -l .fuzz/findings; exit 1
fi
echo "fuzz: no crash, hang or out-of-memory"
