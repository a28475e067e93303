#!/usr/bin/python3
"""An OpenAI-compatible model server that plays task scripts, and records what the agent sent.

`qwenlayer eval TASKS --backend http://127.0.0.1:PORT/v1` runs every task through the real
agent on a freshly seeded demo city; the agent asks this server for each model output. The
server finds the task by the conversation's user messages, answers with the script's output for
this step of the turn, and appends the request (the agent's exact system prompt, tools, history
and tool results) with that answer to --record as one training example. So the training data is
what the agent really sends a model, the tool results are the services' real answers, and the
replies can quote them: a script's text may hold placeholders resolved against the JSON of the
most recent tool response:

    {{r.PATH}}             the value at a dotted path (numbers index arrays): {{r.merchants.0.name}}
    {{yuan:r.PATH}}        an integer of fen as yuan: ¥23.50
    {{join:r.PATH/FIELD}}  FIELD of the first three items, joined with ", "
    {{join_zh:r.PATH/FIELD}}  the same joined with "、"

A placeholder that does not resolve answers HTTP 500 (the task then fails its evaluation and is
left out of the training data).

    /usr/bin/python3 training/policy_server.py --tasks T.jsonl --record R.jsonl --port 8931
"""

import argparse
import http.server
import json
import re
import sys
import threading
import time

TOOL_CALL = re.compile(r"<tool_call>\n(.*?)\n</tool_call>", re.S)
PLACEHOLDER = re.compile(r"\{\{(?:(yuan|join|join_zh):)?r\.([^}]*)\}\}")
USER_ID = re.compile(r"\(user (\d+)\)")
NOW = re.compile(r"Now: (\d{4}-\d\d-\d\d) \(\w+\) (\d\d:\d\d)")
DEFAULT_NOW = "2026-01-06T11:30"  # the eval runner's default (src/agent/eval.h)


DEFANG_TAGS = ("tool_call>", "/tool_call>", "tool_response>", "/tool_response>", "think>",
               "/think>", "tools>", "/tools>", "im_start", "im_end")


class Unresolved(Exception):
    pass


def defang(text):
    """The agent's defang() (src/agent/agent.cpp): a space after a "<" that starts markup."""
    out = []
    for i, ch in enumerate(text):
        out.append(ch)
        rest = text[i + 1 :]
        if ch == "<" and rest and (rest[0] == "|" or rest.startswith(DEFANG_TAGS)):
            out.append(" ")
    return "".join(out)


def lookup(value, path):
    for part in path.split(".") if path else []:
        if isinstance(value, list):
            if not part.isdigit() or int(part) >= len(value):
                raise Unresolved(f"no item {part}")
            value = value[int(part)]
        elif isinstance(value, dict):
            if part not in value:
                raise Unresolved(f"no field {part!r} (has {sorted(value)[:12]})")
            value = value[part]
        else:
            raise Unresolved(f"{part!r} under a {type(value).__name__}")
    return value


def yuan(fen):
    if not isinstance(fen, int):
        raise Unresolved(f"yuan of {fen!r}")
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}¥{fen // 100}.{fen % 100:02d}"


def resolve(text, result):
    def one(m):
        kind, path = m.group(1), m.group(2)
        if result is None:
            raise Unresolved("no tool response yet")
        if kind in ("join", "join_zh"):
            path, _, field = path.partition("/")
            items = lookup(result, path)
            if not isinstance(items, list) or not items:
                raise Unresolved(f"{path} is not a non-empty list")
            names = [str(lookup(item, field)) for item in items[:3]]
            return (", " if kind == "join" else "、").join(names)
        value = lookup(result, path)
        if kind == "yuan":
            return yuan(value)
        if isinstance(value, (dict, list)):
            raise Unresolved(f"{path} is not a scalar")
        return str(value)

    return PLACEHOLDER.sub(one, text)


def split_output(raw):
    """Raw model text -> (content, [(name, arguments text)]), as our server's parser splits it."""
    calls = []
    for m in TOOL_CALL.finditer(raw):
        body = m.group(1)
        obj = json.loads(body)
        # The arguments exactly as written: the agent keeps that text and the template writes it
        # back unchanged, so the history shows what the model wrote.
        start = body.index('"arguments": ') + len('"arguments": ')
        args = body[start:body.rindex("}")]
        if json.loads(args) != obj["arguments"]:
            raise ValueError(f"arguments text does not round-trip: {body}")
        calls.append((obj["name"], args))
    first = raw.find("<tool_call>")
    content = raw if first < 0 else raw[:first]
    return content.rstrip("\n") if calls else content, calls


class Policy:
    def __init__(self, task_files, record_path):
        self.by_users = {}
        self.lock = threading.Lock()
        self.record = open(record_path, "a", encoding="utf-8") if record_path else None
        self.served = 0
        self.failed = 0
        for path in task_files:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if not line.strip():
                        continue
                    task = json.loads(line)
                    texts = [defang(t["user"]) for t in task["turns"]]
                    for i in range(len(texts)):
                        key = tuple(texts[: i + 1])
                        self.by_users.setdefault(key, []).append((task, i))

    def answer(self, request):
        messages = request.get("messages", [])
        users = [m.get("content", "") for m in messages if m.get("role") == "user"]
        last_user = max(i for i, m in enumerate(messages) if m.get("role") == "user")
        step = sum(1 for m in messages[last_user + 1 :] if m.get("role") == "assistant")
        candidates = self.by_users.get(tuple(users), [])
        if not candidates:
            # The agent may drop old exchanges to fit the context: match on the tail.
            for key, value in self.by_users.items():
                if len(key) >= len(users) and tuple(key[-len(users) :]) == tuple(users):
                    candidates = value
                    break
        if not candidates:
            raise Unresolved(f"no task has the user messages {users!r}")
        system = messages[0].get("content", "") if messages and messages[0].get("role") == "system" else ""
        uid = USER_ID.search(system)
        if len(candidates) > 1 and uid:
            emails = {"1": "alice@example.com", "2": "wang@example.com"}
            narrowed = [c for c in candidates if c[0].get("user") == emails.get(uid.group(1))]
            candidates = narrowed or candidates
        now = NOW.search(system)
        if len(candidates) > 1 and now:
            stamp = f"{now.group(1)}T{now.group(2)}"
            narrowed = [c for c in candidates if c[0].get("now", DEFAULT_NOW) == stamp]
            candidates = narrowed or candidates
        task, turn = candidates[0]
        script = task["turns"][turn].get("script", [])
        if step >= len(script):
            raise Unresolved(f"{task['id']}: the script of turn {turn} has {len(script)} outputs, step {step} asked")
        result = None
        for m in reversed(messages):
            if m.get("role") == "tool":
                try:
                    result = json.loads(m.get("content", ""))
                except ValueError:
                    result = None
                break
            if m.get("role") == "user":
                break
        raw = resolve(script[step], result)
        content, calls = split_output(raw)
        return task, turn, step, content, calls

    def log(self, task, turn, step, request, content, calls):
        if not self.record:
            return
        row = {
            "task": task["id"],
            "lang": task.get("lang"),
            "turn": turn,
            "step": step,
            "messages": request.get("messages", []),
            "tools": request.get("tools", []),
            "output": {
                "content": content,
                "tool_calls": [{"function": {"name": n, "arguments": a}} for n, a in calls],
            },
        }
        with self.lock:
            self.record.write(json.dumps(row, ensure_ascii=False) + "\n")
            self.record.flush()


def make_handler(policy):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def send_json(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.rstrip("/").endswith("/models"):
                self.send_json(200, {"object": "list", "data": [{"id": "policy", "object": "model"}]})
            else:
                self.send_json(404, {"error": {"message": "not found"}})

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            try:
                task, turn, step, content, calls = policy.answer(request)
            except (Unresolved, ValueError, KeyError) as e:
                with policy.lock:
                    policy.failed += 1
                print(f"policy_server: {e}", file=sys.stderr)
                self.send_json(500, {"error": {"message": f"policy: {e}"}})
                return
            policy.log(task, turn, step, request, content, calls)
            with policy.lock:
                policy.served += 1
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Connection", "close")
            self.end_headers()
            created = int(time.time())

            def chunk(delta, finish=None):
                body = {"id": "policy", "object": "chat.completion.chunk", "created": created,
                        "model": "policy", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                self.wfile.write(f"data: {json.dumps(body, ensure_ascii=False)}\n\n".encode())

            if content:
                chunk({"role": "assistant", "content": content})
            for i, (name, args) in enumerate(calls):
                chunk({"tool_calls": [{"index": i, "id": f"call_{step}_{i}", "type": "function",
                                       "function": {"name": name, "arguments": args}}]})
            chunk({}, "tool_calls" if calls else "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", action="append", required=True, help="task suite JSONL (repeatable)")
    ap.add_argument("--record", help="append the training examples here (JSONL)")
    ap.add_argument("--port", type=int, default=8931)
    args = ap.parse_args()
    policy = Policy(args.tasks, args.record)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(policy))
    print(f"policy_server: {len(policy.by_users)} conversation prefixes on 127.0.0.1:{args.port}",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    print(f"policy_server: served {policy.served}, failed {policy.failed}", file=sys.stderr)


if __name__ == "__main__":
    main()
