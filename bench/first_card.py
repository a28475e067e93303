#!/usr/bin/python3
"""Latency from the user's sentence to the first card, through the app API.

Starts `qwenlayer serve` (the default model unless -m) on a private port and database, signs in
as each task's user and sends the first turn of every single-turn task of a suite (default
eval/heldout.jsonl, orders first) in a new session, timing from the request to the first
`card` event, to the first `action` event (the card awaiting confirmation) and to `done`.
Prints medians and p90 per language; --json for the raw figures.

    bench/first_card.py [--qwenlayer build/qwenlayer] [-m MODEL] [--suite eval/heldout.jsonl]
                        [--filter heldout.order.] [--limit 40] [-t 2]
                        [--now 2026-01-06T11:30]
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, cookie=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r, data


def turn(port, cookie, session, text, location):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    body = {"text": text}
    if location:
        body["location"] = location
    start = time.monotonic()
    conn.request("POST", f"/api/v1/sessions/{session}/messages", json.dumps(body),
                 {"Content-Type": "application/json", "Cookie": cookie})
    r = conn.getresponse()
    if r.status != 200:
        raise RuntimeError(f"messages: HTTP {r.status}: {r.read()[:300]!r}")
    out = {"card": None, "action": None, "done": None}
    name = None
    while True:
        line = r.fp.readline()
        if not line:
            break
        line = line.decode().rstrip("\r\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: ") and name in out and out[name] is None:
            out[name] = time.monotonic() - start
            if name == "done":
                break
    conn.close()
    if out["card"] is None and out["action"] is not None:
        out["card"] = out["action"]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwenlayer", default="build/qwenlayer")
    ap.add_argument("-m", "--model", help="default: the bundled models/default.gguf")
    ap.add_argument("--suite", default="eval/heldout.jsonl")
    ap.add_argument("--filter", default="heldout.order.")
    ap.add_argument("--now", default="2026-01-06T11:30",
                    help="the server's city time at start (the held-out tasks' own; the real clock "
                         "finds the cafés closed at night)")
    ap.add_argument("--limit", type=int, default=40)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    tasks = []
    with open(args.suite, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            if t["id"].startswith(args.filter) and not t.get("setup"):
                tasks.append(t)
    # Alternate languages so that a --limit keeps both.
    en = [t for t in tasks if t["lang"] == "en"]
    zh = [t for t in tasks if t["lang"] == "zh"]
    tasks = [t for pair in zip(en, zh) for t in pair][: args.limit]
    if not tasks:
        sys.exit(f"first_card: no task in {args.suite} starts with {args.filter!r}")

    work = tempfile.mkdtemp(prefix="qwl-first-card-")
    port = free_port()
    cmd = [args.qwenlayer, "--log-level", "warn", "serve", "--port", str(port), "--db",
           os.path.join(work, "city.db"), "-t", str(args.threads), "--now", args.now]
    if args.model:
        cmd += ["-m", args.model]
    env = {k: v for k, v in os.environ.items() if k not in ("QWL_DB", "QWL_MODEL", "QWL_BACKEND")}
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                r, _ = request(port, "GET", "/health")
                if r.status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        cookies = {}
        rows = []
        for i, t in enumerate(tasks):
            email = t["user"]
            if email not in cookies:
                r, _ = request(port, "POST", "/api/v1/auth/login", {"email": email, "password": "demo"})
                cookies[email] = r.getheader("Set-Cookie").split(";")[0]
            r, data = request(port, "POST", "/api/v1/sessions", {}, cookies[email])
            session = json.loads(data)["id"]
            times = turn(port, cookies[email], session, t["turns"][0]["user"], t.get("location"))
            rows.append({"id": t["id"], "lang": t["lang"], **times})
            print(f"first_card: {i + 1}/{len(tasks)} {t['id']}: card "
                  f"{times['card'] and round(times['card'] * 1000)} ms", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)

    def stats(key, lang=None):
        xs = sorted(r[key] * 1000 for r in rows if r[key] is not None and (lang is None or r["lang"] == lang))
        if not xs:
            return None
        return {"n": len(xs), "median_ms": round(statistics.median(xs), 1),
                "p90_ms": round(xs[min(len(xs) - 1, int(len(xs) * 0.9))], 1)}

    summary = {key: {"all": stats(key), "en": stats(key, "en"), "zh": stats(key, "zh")}
               for key in ("card", "action", "done")}
    if args.json:
        print(json.dumps({"summary": summary, "turns": rows}, indent=1))
        return
    print(f"{len(rows)} first turns of {args.suite} ({args.filter}*), {args.threads} threads")
    print(f"{'':18}{'n':>5}{'median ms':>12}{'p90 ms':>10}")
    for key, label in (("card", "first card"), ("action", "card to confirm"), ("done", "turn done")):
        for lang in ("all", "en", "zh"):
            s = summary[key][lang]
            if s:
                print(f"{label + ' ' + lang:18}{s['n']:>5}{s['median_ms']:>12}{s['p90_ms']:>10}")


if __name__ == "__main__":
    main()
