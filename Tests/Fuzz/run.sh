#!/usr/bin/env bash
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer.
# Usage: Tests/Fuzz/run.sh [SECONDS] [TARGET ...] — from anywhere. Targets (default: all, in turn):
#   specs  spec loading and planning (seeds: the test and example specs)
#   png    PNG trigger patterns        npy  .npy trigger patterns
#   idx    IDX images and labels       cifar  CIFAR-10/100 binary records
# Each target runs SECONDS (default 300) on its own corpus under .build-fuzz/corpus/TARGET; a crash
# leaves crash-* in .build-fuzz/findings/TARGET and the script exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-300}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(specs png npy idx cifar)
for product in FuzzSpecs FuzzReaders; do
    BACKDOORLAB_FUZZ=1 swift build -c debug --build-path .build-fuzz --product "$product" \
        --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -use-ld=lld
done
# (gold crashes on this link; lld ships with the toolchain.)

seed() {   # seed TARGET: fill its corpus from the repository's own files
    local corpus=$1
    case "$2" in
    specs)
        cp Tests/ExperimentTests/Specs/good/*.yaml Tests/ExperimentTests/Specs/bad/*.yaml "$corpus"/
        find experiments -name '*.yaml' | while read -r f; do cp "$f" "$corpus/$(echo "$f" | tr / _)"; done ;;
    png) cp Tests/DatasetsTests/Fixtures/*.png "$corpus"/ ;;
    npy) cp Tests/DatasetsTests/Fixtures/*.npy "$corpus"/ ;;
    idx|cifar)
        # The first byte picks the variant (idx: images or labels; cifar: CIFAR-10 or CIFAR-100 records).
        python3 - "$corpus" "$2" <<'PY'
import struct, sys
corpus, target = sys.argv[1], sys.argv[2]
if target == "idx":
    open(f"{corpus}/images", "wb").write(b"\0" + struct.pack(">IIII", 0x803, 2, 4, 4) + bytes(range(32)))
    open(f"{corpus}/labels", "wb").write(b"\1" + struct.pack(">II", 0x801, 3) + bytes([0, 9, 4]))
else:
    open(f"{corpus}/cifar10", "wb").write(b"\0" + (bytes([3]) + bytes(i % 256 for i in range(3072))) * 2)
    open(f"{corpus}/cifar100", "wb").write(b"\1" + bytes([4, 77]) + bytes(i % 251 for i in range(3072)))
PY
        ;;
    *) echo "unknown fuzz target '$2' (specs, png, npy, idx, cifar)" >&2; exit 64 ;;
    esac
}

# Leak checking is off: at exit LeakSanitizer reports the schema's lazily built globals and one
# Foundation read buffer (20 kB in 330 objects after 1 000 inputs, not growing per input; RSS stayed
# flat over 119 000 inputs), which would fail every run.
# Swift's crash backtracer trips a bogus ASan report on every crash; libFuzzer prints its own.
for t in "${targets[@]}"; do
    corpus=.build-fuzz/corpus/$t findings=.build-fuzz/findings/$t
    mkdir -p "$corpus" "$findings"
    seed "$corpus" "$t"
    if [ "$t" = specs ]; then binary=.build-fuzz/debug/FuzzSpecs; maxlen=4096; else binary=.build-fuzz/debug/FuzzReaders; maxlen=16384; fi
    echo "== fuzzing $t for $seconds s"
    FUZZ_READER=$t ASAN_OPTIONS=detect_leaks=0 SWIFT_BACKTRACE=enable=no "$binary" -max_total_time="$seconds" \
        -max_len="$maxlen" -rss_limit_mb=4096 -artifact_prefix="$findings/" "$corpus"
done
