#!/bin/sh
# Runs a libFuzzer target for a short, fixed-seed session over the seed
# corpus (read-only: new inputs go to a temporary directory).
# Long runs by hand:  fuzz-hwinfo -max_total_time=3600 NEWDIR tests/fuzz/corpus/hwinfo
set -eu
exe=$1; corpus=$2; shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
exec "$exe" -seed=1 -runs="${IHW_FUZZ_RUNS:-30000}" -max_len=512 -print_final_stats=1 "$@" "$tmp" "$corpus"
