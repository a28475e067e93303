#!/usr/bin/python3
"""The shipped default model end to end through the app API.

`qwenlayer serve` with no -m (so models/default.gguf from the resource directory) on a fresh
SQLite demo city: Alice signs in, says one sentence in a new session, the default model drives
the agent's tools until the checkout card appears, Alice confirms it with the card's hash, and
the order is in the database with the right merchant, item, quantity and address. Then a turn
that the app cannot serve gets an answer and no action.

    default_model_test.py --qwenlayer build/qwenlayer
"""
import argparse
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

QWENLAYER = None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DefaultModel(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="qwl-default-model-")
        cls.db = os.path.join(cls.work, "city.db")
        cls.port = free_port()
        env = dict(os.environ)
        for k in ("QWL_DB", "QWL_MODEL", "QWL_BACKEND", "QWL_RESOURCES"):
            env.pop(k, None)
        cls.log = open(os.path.join(cls.work, "serve.log"), "w")
        cls.server = subprocess.Popen([QWENLAYER, "serve", "--port", str(cls.port), "--db", cls.db,
                                       "-t", "2", "--now", "2026-01-06T11:30"], env=env, cwd=cls.work, stdout=cls.log,
                                      stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                status, _ = cls.call(None, "GET", "/health")
                if status == 200:
                    return
            except OSError:
                pass
            if cls.server.poll() is not None:
                break
            time.sleep(0.2)
        cls.server.kill()
        with open(os.path.join(cls.work, "serve.log")) as f:
            raise AssertionError("serve did not start:\n" + f.read()[-3000:])

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=30)
        cls.log.close()

    @classmethod
    def call(cls, cookie, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", cls.port, timeout=120)
        h = {"Content-Type": "application/json", **(headers or {})}
        if cookie:
            h["Cookie"] = cookie
        conn.request(method, path, json.dumps(body) if body is not None else None, h)
        r = conn.getresponse()
        data = r.read().decode()
        conn.close()
        return r.status, data

    def sign_in(self, email):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("POST", "/api/v1/auth/login", json.dumps({"email": email, "password": "demo"}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
        self.assertEqual(r.status, 200)
        cookie = r.getheader("Set-Cookie").split(";")[0]
        conn.close()
        return cookie

    def say(self, cookie, session, text):
        """Sends a message; returns [(event, data)] and the seconds to the first card."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        start = time.monotonic()
        conn.request("POST", f"/api/v1/sessions/{session}/messages", json.dumps({"text": text}),
                     {"Content-Type": "application/json", "Cookie": cookie})
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        events, name, first_card = [], None, None
        while True:
            line = r.fp.readline()
            if not line:
                break
            line = line.decode().rstrip("\r\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: ") and name:
                events.append((name, json.loads(line[6:])))
                if name in ("card", "action") and first_card is None:
                    first_card = time.monotonic() - start
                if name == "done":
                    break
        conn.close()
        return events, first_card

    def query(self, sql, *params):
        con = sqlite3.connect(self.db)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def test_one_sentence_order_is_confirmed_once(self):
        cookie = self.sign_in("alice@example.com")
        status, body = self.call(cookie, "POST", "/api/v1/sessions", {})
        self.assertEqual(status, 201, body)
        session = json.loads(body)["id"]
        events, first_card = self.say(cookie, session, "order two oat lattes to my office")
        trace = json.dumps(events, ensure_ascii=False)[:3000]
        calls = [d["name"] for n, d in events if n == "tool_call"]
        print(f"calls: {calls}; first card after {first_card:.3f} s" if first_card else calls,
              file=sys.stderr)
        actions = [d for n, d in events if n == "action"]
        self.assertEqual(len(actions), 1, trace)
        action = actions[0]
        self.assertEqual(action["status"], "pending", trace)
        self.assertEqual(action["tool"], "checkout", trace)
        self.assertEqual(self.query("SELECT COUNT(*) FROM orders"), [(0,)])  # not before the confirm
        status, body = self.call(cookie, "POST", f"/api/v1/actions/{action['id']}/confirm",
                                 {"hash": action["hash"]}, {"Idempotency-Key": "e2e-1"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["status"], "confirmed", body)
        orders = self.query("SELECT o.merchant_id, o.status, o.fulfilment, a.label FROM orders o "
                            "JOIN users u ON u.id = o.user_id LEFT JOIN addresses a ON a.id = o.address_id "
                            "WHERE u.email = 'alice@example.com'")
        self.assertEqual(orders, [(1, "placed", "delivery", "office")], trace)
        items = self.query("SELECT name_en, quantity FROM order_items")
        self.assertEqual(items, [("Oat Latte", 2)], trace)

    def test_out_of_scope_request_gets_an_answer_and_no_action(self):
        cookie = self.sign_in("wang@example.com")
        status, body = self.call(cookie, "POST", "/api/v1/sessions", {})
        self.assertEqual(status, 201, body)
        session = json.loads(body)["id"]
        events, _ = self.say(cookie, session, "book me a flight to Tokyo")
        trace = json.dumps(events, ensure_ascii=False)[:3000]
        self.assertFalse([d for n, d in events if n == "action"], trace)
        text = "".join(d.get("delta", "") for n, d in events if n == "text")
        self.assertTrue(text.strip(), trace)
        self.assertEqual(events[-1][0], "done", trace)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--qwenlayer", required=True)
    args, rest = ap.parse_known_args()
    QWENLAYER = os.path.abspath(args.qwenlayer)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)
