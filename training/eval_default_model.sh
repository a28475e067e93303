#!/usr/bin/env bash
# Measures a model on the held-out tasks (eval/heldout.jsonl): serves it with `qwenlayer serve`
# on a private port and database, runs `qwenlayer eval` against it, writes the JSON summary
# with every task's result and prints the table.
#
#   training/eval_default_model.sh [MODEL.gguf] [OUT.json] [SUITE]
set -euo pipefail
cd "$(dirname "$0")/.."
QWL=${QWL:-build/qwenlayer}
MODEL=${1:-models/default.gguf}
OUT=${2:-models/eval-heldout.json}
SUITE=${3:-eval/heldout.jsonl}
PORT=${PORT:-8932}
THREADS=${THREADS:-2}
work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
"$QWL" --log-level warn serve -m "$MODEL" --port "$PORT" --db "$work/serve.db" -t "$THREADS" \
  2>"$work/serve.log" &
server=$!
for _ in $(seq 300); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  kill -0 $server 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
  sleep 0.1
done
"$QWL" eval "$SUITE" --backend "http://127.0.0.1:$PORT/v1" --jobs "${JOBS:-1}" -q --json --results \
  >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
/usr/bin/python3 - "$OUT" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"{d['suite']}: {d['tasks']} tasks, {d['passed']} passed")
for k in ("task_success", "tool_choice_accuracy", "argument_match"):
    print(f"  {k:22} {d[k]}")
print("  by language:", json.dumps(d.get("by_lang")))
print("  latency:", json.dumps(d.get("latency")))
PY
