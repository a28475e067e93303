#!/bin/bash
# Installs everything qwenlayer needs on Debian bookworm (as root, or with sudo available),
# builds it into build/, builds the web app into web/dist (from web/package-lock.json), and
# makes the engine tests' demo model: a small random-weight Qwen3 in data/models/ (our
# converter, our writer). `build/qwenlayer serve` then runs the bundled models/default.gguf.
#
#   scripts/setup.sh            install packages + build + make the demo model
#   QWL_SKIP_APT=1 scripts/setup.sh   skip the package step (packages already there)
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev nlohmann-json3-dev libcli11-dev libutf8proc-dev libboost1.81-dev curl libcurl4-openssl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libpq-dev postgresql
  clang libclang-rt-14-dev
  python3 python3-numpy python3-jinja2
  python3-torch python3-regex libopenblas0-pthread  # training/: the default model's pipeline
)

if [ -z "${QWL_SKIP_APT:-}" ]; then
  missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then missing+=(nodejs npm); fi
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}" >&2
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

echo "setup: building into build/" >&2
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C build qwenlayer

# The web app that `serve` shows at / (web/: TypeScript, Preact, Vite), from its lockfile.
if [ ! -f web/node_modules/.package-lock.json ] ||
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "setup: installing the web app's packages (web/package-lock.json)" >&2
  npm --prefix web ci --no-audit --no-fund --loglevel=error
fi
echo "setup: building the web app into web/dist" >&2
npm --prefix web run build --silent >/dev/null

MODEL=data/models/demo-qwen3-q8_0.gguf
if [ ! -f "$MODEL" ]; then
  echo "setup: making the demo model $MODEL" >&2
  mkdir -p data/models
  tmp=$(mktemp -d)
  /usr/bin/python3 tests/reference/make_tiny_model.py "$tmp/demo-qwen3" --arch qwen3 \
    --n-embd 512 --n-layer 4 --n-ff 1536 --seed 42
  build/qwenlayer convert "$tmp/demo-qwen3" -o "$MODEL" --type q8_0
  rm -rf "$tmp"
fi
echo "setup: done. Try: build/qwenlayer generate -m $MODEL -p \"Hello\" -n 32" >&2
