#!/usr/bin/env bash
# Makes models/default.gguf end to end: tasks -> recorded agent conversations -> tokenizer ->
# token ids -> training -> Hugging Face folder -> GGUF -> held-out evaluation.
#
#   training/make_default_model.sh                 # the whole pipeline (about 2 hours: 110 minutes of training)
#   MINUTES=60 training/make_default_model.sh      # another training budget
#   RESUME=1 training/make_default_model.sh        # continue an interrupted training run
#
# Needs the build (scripts/setup.sh) and Debian's python3-torch, python3-numpy, python3-regex,
# python3-jinja2 and libopenblas0-pthread (scripts/setup.sh installs them). Every stage writes
# under training/data/ and training/runs/ (not committed); the result is models/default.gguf and
# models/eval-heldout.json (the held-out summary). Stages whose output exists are skipped unless FORCE=1.
set -euo pipefail
cd "$(dirname "$0")/.."

QWL=${QWL:-build/qwenlayer}
PY=/usr/bin/python3
DATA=training/data
RUN=${RUN:-training/runs/default}
MINUTES=${MINUTES:-110}
VOCAB=${VOCAB:-6000}
PORT=${PORT:-8931}
MAX_LEN=${MAX_LEN:-2048}  # tokens per conversation turn (longer ones are left out)
N_TRAIN=${N_TRAIN:-12000}
FORCE=${FORCE:-0}
mkdir -p "$DATA" "$RUN" models

stage() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)" >&2; }
fresh() { [[ "$FORCE" == 1 || ! -s "$1" ]]; }

if fresh "$DATA/train_tasks.jsonl"; then
  stage "tasks"
  $PY training/gen_tasks.py --train "$DATA/train_tasks.jsonl" --heldout eval/heldout.jsonl \
    --n-train "$N_TRAIN" --stats
fi

if fresh "$DATA/train_eval.json"; then
  stage "recording the agent's requests (policy server + qwenlayer eval)"
  rm -f "$DATA/records.jsonl"
  $PY training/policy_server.py --tasks "$DATA/train_tasks.jsonl" --record "$DATA/records.jsonl" \
    --port "$PORT" 2>"$DATA/policy_server.log" &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    curl -sf "http://127.0.0.1:$PORT/v1/models" >/dev/null && break
    sleep 0.1
  done
  "$QWL" eval "$DATA/train_tasks.jsonl" --backend "http://127.0.0.1:$PORT/v1" --jobs 2 --json \
    --results >"$DATA/train_eval.json.tmp"
  mv "$DATA/train_eval.json.tmp" "$DATA/train_eval.json"
  kill "$server" 2>/dev/null || true
  trap - EXIT
  $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print(f\"recorded: {d['passed']} of {d['tasks']} tasks passed under the policy server\")" "$DATA/train_eval.json"
fi

if fresh "$DATA/pieces.jsonl"; then
  stage "rendering with the model's chat template"
  $PY training/prepare.py render --records "$DATA/records.jsonl" --results "$DATA/train_eval.json" \
    --template training/chat_template.jinja --out "$DATA/pieces.jsonl" --corpus "$DATA/corpus.txt"
fi

if fresh "$DATA/tokenizer/tokenizer.json"; then
  stage "tokenizer (byte-level BPE, $VOCAB tokens)"
  $PY training/bpe.py train --corpus "$DATA/corpus.txt" --vocab-size "$VOCAB" --out "$DATA/tokenizer"
  cp training/chat_template.jinja "$DATA/tokenizer/chat_template.jinja"
fi

if fresh "$DATA/tokens/train.jsonl"; then
  stage "token ids"
  mkdir -p "$DATA/tokens"
  $PY training/prepare.py encode --pieces "$DATA/pieces.jsonl" --tokenizer "$DATA/tokenizer" \
    --out "$DATA/tokens/train.jsonl" --valid "$DATA/tokens/valid.jsonl" --max-len "$MAX_LEN"
fi

stage "training ($MINUTES minutes)"
resume=()
[[ "${RESUME:-0}" == 1 ]] && resume=(--resume)
$PY training/train.py --data "$DATA/tokens" --out "$RUN" --minutes "$MINUTES" \
  --tokenizer "$DATA/tokenizer" --max-len "$MAX_LEN" "${resume[@]}"

stage "export"
rm -rf "$DATA/hf"
$PY training/export.py --run "$RUN" --tokenizer "$DATA/tokenizer" --out "$DATA/hf"
"$QWL" convert "$DATA/hf" -o models/default.gguf --type f16 --force

stage "held-out evaluation"
training/eval_default_model.sh models/default.gguf "$DATA/eval-heldout.json"
# The summary (without every task's calls) goes with the model.
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); d.pop('results', None); json.dump(d, open(sys.argv[2], 'w'), indent=1, ensure_ascii=False)" \
  "$DATA/eval-heldout.json" models/eval-heldout.json
