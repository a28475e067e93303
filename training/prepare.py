#!/usr/bin/python3
"""Turns recorded agent requests into training text, and training text into token ids.

    prepare.py render --records R.jsonl --results E.json --template T.jinja --out P.jsonl --corpus C.txt
    prepare.py encode --pieces P.jsonl --tokenizer DIR --out DIR/train.jsonl --valid DIR/valid.jsonl

render: the policy server (policy_server.py) wrote one record per model call: the agent's
messages and tools and the scripted answer. Within a turn each call's conversation extends the
previous one, so a turn becomes one example: its last call's conversation plus the answer,
rendered with the model's chat template, in pieces marked 1 where the model writes (every
assistant message of the turn, through its <|im_end|>) and 0 elsewhere. Only tasks that passed
their evaluation under the policy server are used (--results: `qwenlayer eval --json --results`),
so a task whose script the real services disagree with never teaches the model. The corpus for
the tokenizer is every example's text.

encode: each piece is tokenized on its own (the model's answer starts right after the prompt's
"<|im_start|>assistant\\n", a pre-token boundary, so this is how the served prompt and the
model's output split too), concatenated, cut at --max-len (examples longer are dropped, and
counted). A fixed share of tasks (by hash of the task id) goes to the validation file, in a
seeded shuffled order so that any prefix of it samples every task family.

The mask is a loss weight: 0 where the model does not write, 1 on most of what it writes and
--decision-weight on the tokens that carry a decision: the first token of each answer (a tool
call or words), the tool's name and every argument value (a token's weight is the largest of its
bytes'). The rest of a tool call is fixed syntax the model learns in its first minutes; without
the weights those tokens are most of the loss.
"""

import argparse
import hashlib
import json
import os
import random
import re
import sys

import jinja2


def load_template(path):
    """transformers' environment (tests/api/render_chat.py is the project's oracle for it)."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson"] = lambda v, **kw: json.dumps(v, ensure_ascii=False)
    env.globals["raise_exception"] = raise_exception
    with open(path, encoding="utf-8") as f:
        return env.from_string(f.read())


def normalize(message):
    """As our server's normalize_openai_input: tool-call arguments given as JSON text become
    objects (key order kept), so the template writes them back with tojson."""
    m = dict(message)
    if m.get("content") is None:
        m["content"] = ""
    if m.get("tool_calls"):
        calls = []
        for call in m["tool_calls"]:
            call = json.loads(json.dumps(call))
            fn = call.get("function", call)
            if isinstance(fn.get("arguments"), str):
                fn["arguments"] = json.loads(fn["arguments"])
            calls.append(call)
        m["tool_calls"] = calls
    return m


def render_turn(template, record):
    messages = [normalize(m) for m in record["messages"]]
    out = record["output"]
    answer = {"role": "assistant", "content": out.get("content", "")}
    if out.get("tool_calls"):
        answer = normalize({**answer, "tool_calls": out["tool_calls"]})
    full = messages + [answer]
    tools = record.get("tools") or []
    text = template.render(messages=full, tools=tools, add_generation_prompt=False)
    last_user = max(i for i, m in enumerate(full) if m["role"] == "user")
    pieces = []
    at = 0
    for i in range(last_user + 1, len(full)):
        if full[i]["role"] != "assistant":
            continue
        start = template.render(messages=full[:i], tools=tools, add_generation_prompt=True)
        end = template.render(messages=full[: i + 1], tools=tools, add_generation_prompt=False)
        if not (text.startswith(end) and end.startswith(start) and end.endswith("<|im_end|>\n")):
            raise ValueError(f"{record['task']}: the template is not prefix-stable at message {i}")
        if len(start) > at:
            pieces.append([text[at : len(start)], 0])
        pieces.append([text[len(start) : len(end) - 1], 1])
        at = len(end) - 1
    if at < len(text):
        pieces.append([text[at:], 0])
    return pieces


def passed_tasks(results_path):
    with open(results_path, encoding="utf-8") as f:
        summary = json.load(f)
    tasks = summary.get("results") or summary.get("tasks") or []
    return {t["id"] for t in tasks if t.get("passed") or t.get("ok")}


def cmd_render(args):
    template = load_template(args.template)
    passed = passed_tasks(args.results) if args.results else None
    last = {}
    with open(args.records, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            key = (r["task"], r["turn"])
            if key not in last or r["step"] >= last[key]["step"]:
                last[key] = r
    kept = skipped = 0
    with open(args.out, "w", encoding="utf-8") as out, open(args.corpus, "w", encoding="utf-8") as corpus:
        for (task, turn), r in sorted(last.items()):
            if passed is not None and task not in passed:
                skipped += 1
                continue
            pieces = render_turn(template, r)
            out.write(json.dumps({"task": task, "turn": turn, "lang": r.get("lang"), "pieces": pieces},
                                 ensure_ascii=False) + "\n")
            corpus.write("".join(p[0] for p in pieces) + "\n")
            kept += 1
    print(f"render: {kept} turns written, {skipped} from tasks that failed their evaluation left out",
          file=sys.stderr)


_TOOL_CALL = re.compile(r"<tool_call>\n(\{.*?\})\n</tool_call>", re.S)


def _mark_json_values(text, start, weights, w):
    """Marks with w the bytes of every value in the JSON text[start:] (strings with their quotes,
    numbers, true/false/null) and of no key or punctuation; returns where the JSON value ends."""
    stack, i, n = [], start, len(text)
    expect_key = False
    while i < n:
        c = text[i]
        if c in "{[":
            stack.append(c)
            expect_key = c == "{"
            i += 1
        elif c in "}]":
            stack.pop()
            i += 1
            if not stack:
                return i
        elif c == ",":
            expect_key = stack[-1] == "{"
            i += 1
        elif c == ":":
            expect_key = False
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            j += 1
            if not expect_key:
                _mark(text, i, j, weights, w)
            i = j
        elif c.isspace():
            i += 1
        else:
            j = i
            while j < n and text[j] not in ",}] \n":
                j += 1
            _mark(text, i, j, weights, w)
            i = j
        if not stack:
            return i
    return i


def _mark(text, a, b, weights, w):
    """weights is per byte of text; a and b are character offsets."""
    lo = len(text[:a].encode())
    hi = lo + len(text[a:b].encode())
    for k in range(lo, hi):
        weights[k] = max(weights[k], w)


def decision_weights(text, w):
    """Per-byte loss weights of one answer of the model (see the module's docstring)."""
    weights = [1] * len(text.encode())
    for m in _TOOL_CALL.finditer(text):
        try:
            call = json.loads(m.group(1))
        except ValueError:
            continue
        name_at = text.find('"name": "', m.start(1))
        if name_at >= 0 and isinstance(call, dict):
            a = name_at + len('"name": "')
            _mark(text, a, a + len(call.get("name", "")), weights, w)
        args_at = text.find('"arguments": ', m.start(1))
        if args_at >= 0:
            _mark_json_values(text, args_at + len('"arguments": '), weights, w)
    return weights


def encode_piece(tok, text, flag, decision_weight):
    """(ids, per-token loss weights) of one piece: 0 outside the model's answers."""
    ids = tok.encode(text)
    if not flag:
        return ids, [0] * len(ids)
    byte_w = decision_weights(text, decision_weight)
    out, at = [], 0
    for i in ids:
        k = len(tok.id_to_bytes(i))
        out.append(max(byte_w[at:at + k] or [1]))
        at += k
    if out:
        out[0] = max(out[0], decision_weight)
    return ids, out


def cmd_encode(args):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import bpe

    tok = bpe.Tokenizer.load(args.tokenizer)
    n = {"train": 0, "valid": 0, "too_long": 0}
    tokens = {"train": 0, "valid": 0}
    trained = decisions = 0
    valid_lines = []
    with open(args.pieces, encoding="utf-8") as f, open(args.out, "w") as train:
        for line in f:
            ex = json.loads(line)
            ids, mask = [], []
            for text, flag in ex["pieces"]:
                piece, weights = encode_piece(tok, text, flag, args.decision_weight)
                ids += piece
                mask += weights
            if len(ids) > args.max_len:
                n["too_long"] += 1
                continue
            h = int(hashlib.sha1(ex["task"].encode()).hexdigest(), 16) % 1000
            split = "valid" if h < args.valid_permille else "train"
            record = json.dumps({"ids": ids, "mask": mask}) + "\n"
            if split == "valid":
                valid_lines.append(record)
            else:
                train.write(record)
            n[split] += 1
            tokens[split] += len(ids)
            trained += sum(1 for m in mask if m)
            decisions += sum(1 for m in mask if m > 1)
    random.Random(1).shuffle(valid_lines)
    with open(args.valid, "w") as valid:
        valid.writelines(valid_lines)
    print(f"encode: {n['train']} train ({tokens['train']} tokens), {n['valid']} valid "
          f"({tokens['valid']} tokens), {n['too_long']} longer than {args.max_len} dropped; "
          f"{trained} tokens trained on, {decisions} of them decisions (weight {args.decision_weight})",
          file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("render")
    r.add_argument("--records", required=True)
    r.add_argument("--results", help="qwenlayer eval --json --results output: only passed tasks")
    r.add_argument("--template", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--corpus", required=True)
    e = sub.add_parser("encode")
    e.add_argument("--pieces", required=True)
    e.add_argument("--tokenizer", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--valid", required=True)
    e.add_argument("--max-len", type=int, default=1024)
    e.add_argument("--valid-permille", type=int, default=20)
    e.add_argument("--decision-weight", type=int, default=3,
                   help="loss weight of the tokens that carry a decision (1: all alike)")
    args = ap.parse_args()
    {"render": cmd_render, "encode": cmd_encode}[args.cmd](args)


if __name__ == "__main__":
    main()
