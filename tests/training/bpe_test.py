#!/usr/bin/python3
"""training/bpe.py against our C++ tokenizer: the same ids, exactly, on varied held-out text.

Trains a small tokenizer (600 ids) on a generated corpus of English, Chinese, JSON, ChatML with
Qwen3's added tokens, emoji, digits, code, combining marks and whitespace runs; saves it; and
then checks that
  1. the files are Qwen3's format: added tokens in Qwen3's order and `special` flags right after
     the BPE vocabulary, the Qwen2 regex, NFC, tokenizer_config.json's eos/pad; Tokenizer.load
     gives back the same tokenizer;
  2. a tiny Qwen3 folder (numpy-written safetensors + these tokenizer files) converts with
     `qwenlayer convert`, and the GGUF's tokenizer keys are the ones llama.cpp's converter writes
     for Qwen3 (pre "qwen2", tokens, token types, merges, eos/pad/bos ids);
  3. `qwenlayer tokenize --ids` on the tokenizer.json and on the GGUF gives exactly bpe.py's
     encode() ids for every held-out string (generated with another seed, random character soup
     over every character class the regex distinguishes, and hand-picked edge cases);
  4. decode(encode(s)) == NFC(s) for every held-out string;
  5. the comparison can fail: with one merge removed from a copy of tokenizer.json, the C++
     tokenizer must disagree with bpe.py on some string (a negative control run every time).

    bpe_test.py --qwenlayer build/qwenlayer [--work DIR] [--keep] [--corrupt-merge]

The scratch folder is removed after a passing run unless --keep; a failing run keeps it.

--corrupt-merge damages the saved tokenizer's most used merge before step 2, which must make the
test fail (to see that it can). Exit status 0 when every check passes.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training"))
import bpe  # noqa: E402

VOCAB_SIZE = 600

EN_NAMES = ["Alice", "Bob", "Chen Wei", "Dmitri", "Émile", "O'Brien", "Zoë", "MARY"]
EN_ITEMS = ["oat latte", "green tea", "bubble tea", "burger combo", "train ticket", "hotel room",
            "flight to Shanghai", "movie ticket", "phone top-up", "taxi ride"]
EN_TEMPLATES = [
    "{name} wants {n} {item}s delivered to room {room} before {h}:{m:02d}.",
    "I'd like to order {n} {item}s, please. It's for {name}'s team!",
    "Can't you find a cheaper {item}? We'll pay at most ${price:.2f}.",
    "THE {item} ISN'T AVAILABLE; YOU'VE GOT {n} OPTIONS LEFT.",
    "Order #{order} confirmed: {n} x {item} = {price:.2f} USD (coupon -{c}%).",
    "She's sure they're ready -- he'd said so at {h}:{m:02d}...",
]
ZH_WORDS = ["帮我", "点", "杯", "珍珠奶茶", "送到", "会议室", "今天", "天气", "很好", "我们", "去", "公园",
            "订", "一张", "去上海的", "机票", "酒店", "优惠券", "支付宝", "确认", "订单", "外卖", "骑手",
            "分钟", "到达", "价格", "比较", "便宜", "咖啡", "换成", "加冰", "无糖", "元以内的", "汉堡套餐"]
ZH_PUNCT = ["，", "。", "！", "？", "、", "：", "；", "「", "」", "（", "）", "《", "》", "…"]
EMOJI = ["😀", "👍", "👍🏽", "👨‍👩‍👧", "🇨🇳", "❤️", "☕", "🧋", "🚕", "✈️", "🎬", "🙏🏻", "🤖"]
OTHER_SCRIPTS = ["Привет, мир", "Καλημέρα", "こんにちは、世界", "カタカナ", "안녕하세요", "مرحبا بالعالم",
                 "שלום", "नमस्ते", "café naïve façade", "Straße", "İstanbul", "ǅemal"]
CODE = ["def f(x):\n    return x ** 2  # square\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n",
        "if __name__ == '__main__':\n    main()\n", "SELECT * FROM orders WHERE id = 42;\n",
        "const re = /\\s+(?!\\S)/u;\n"]
WHITESPACE = [" ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n", "  \n  ",
              "\u3000", "\xa0", " \t \n"]
DIGITS = ["0", "7", "42", "2025", "3.14159", "1,234,567", "2026-01-15", "+86 138-0000-0000", "½", "²",
          "①②③", "Ⅻ", "٣٤", "१२३", "¥25.5", "40杯", "100%"]


def zh_sentence(rng):
    words = [rng.choice(ZH_WORDS) for _ in range(rng.randint(3, 12))]
    out = ""
    for w in words:
        out += w
        if rng.random() < 0.2:
            out += rng.choice(ZH_PUNCT[:2] + [rng.choice(DIGITS)])
    return out + rng.choice(["。", "！", "？", "…", ""])


def en_sentence(rng):
    t = rng.choice(EN_TEMPLATES)
    return t.format(name=rng.choice(EN_NAMES), n=rng.randint(1, 40), item=rng.choice(EN_ITEMS),
                    room=rng.randint(100, 999), h=rng.randint(0, 23), m=rng.randint(0, 59),
                    price=rng.random() * 300, order=rng.randint(10 ** 5, 10 ** 9), c=rng.randint(5, 50))


def json_blob(rng):
    obj = {"name": rng.choice(["order_drink", "book_hotel", "search_flights", "top_up"]),
           "arguments": {"item": rng.choice(EN_ITEMS + ZH_WORDS), "quantity": rng.randint(1, 40),
                         "price": round(rng.random() * 100, 2), "notes": zh_sentence(rng),
                         "ice": rng.random() < 0.5, "tags": [rng.choice(EMOJI), None, -1.5e-3]}}
    return json.dumps(obj, ensure_ascii=rng.random() < 0.3, indent=rng.choice([None, 2, 4]))


def chatml(rng):
    system = "You are a helpful assistant." if rng.random() < 0.5 else "你是一个乐于助人的助手。"
    user = rng.choice([en_sentence, zh_sentence])(rng)
    think = rng.choice([en_sentence, zh_sentence])(rng)
    out = f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
    out += f"<think>\n{think}\n</think>\n\n"
    if rng.random() < 0.6:
        out += f"<tool_call>\n{json_blob(rng)}\n</tool_call><|im_end|>\n"
        out += f"<|im_start|>user\n<tool_response>\n{json_blob(rng)}\n</tool_response><|im_end|>\n"
        out += f"<|im_start|>assistant\n{rng.choice([en_sentence, zh_sentence])(rng)}<|im_end|>\n"
    else:
        out += rng.choice([en_sentence, zh_sentence])(rng) + "<|im_end|>\n"
    if rng.random() < 0.2:
        out += "<|fim_prefix|>def f(<|fim_suffix|>):<|fim_middle|>x<|endoftext|>"
    return out


def mixed(rng):
    parts = []
    for _ in range(rng.randint(2, 8)):
        r = rng.random()
        if r < 0.25:
            parts.append(en_sentence(rng))
        elif r < 0.45:
            parts.append(zh_sentence(rng))
        elif r < 0.55:
            parts.append(rng.choice(EMOJI))
        elif r < 0.65:
            parts.append(rng.choice(DIGITS))
        elif r < 0.75:
            parts.append(rng.choice(OTHER_SCRIPTS))
        elif r < 0.82:
            parts.append(rng.choice(CODE))
        else:
            parts.append(rng.choice(WHITESPACE))
        parts.append(rng.choice(WHITESPACE + ["", "", ""]))
    return "".join(parts)


def document(rng):
    return rng.choice([en_sentence, zh_sentence, json_blob, chatml, mixed, mixed])(rng)


def make_corpus(seed, n_docs):
    rng = random.Random(seed)
    return "<|endoftext|>".join(document(rng) for _ in range(n_docs))


# Characters for random soup: every class the pre-tokenizer regex distinguishes, and the ones
# where regex flavours disagree (U+0085, U+FEFF, U+001C, "ſ" and the Kelvin sign under (?i:)).
SOUP = (list("aAzZsStTdDmMlLrReEvV'’\"!?.,;:-_/\\|<>[]{}()#$%^&*+=~`@") + list("0123456789") +
        [" ", " ", "\t", "\n", "\r", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000", "\u200a", "\u2028",
         "\u2029", "\u202f", "\u205f", "\u3000", "\ufeff", "\x1c", "\x1f", "\u200b", "\u180e", "\x00", "\x7f"] +
        list("ſKİıßéÉ你好世界，。！？「」あア한글ДжΩ") + ["e\u0301", "A\u030a", "\u1100\u1161", "\u0301", "\u0308"] +
        ["½", "²", "Ⅻ", "٣", "१", "①"] + EMOJI + ["\U0001F3FD", "\u200d", "\ufe0f", "\U000E0001", "\uE000",
                                                  "\U0010FFFD", "\u0378", "\U0001FAE8"] +
        ["<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tool_call>", "<|", "|>", "<|im_", "</"])


def soup(rng):
    return "".join(rng.choice(SOUP) for _ in range(rng.randint(1, 40)))


EDGE_CASES = [
    "hello", " hello", "hello ", "  hello  ", "\n", "\n\n", " \n ", "   ", "\t\t\n\t", "\r\n\r\n  x",
    "a  b", "a   b\n", "x\n\n  \n y", "trailing spaces   ", "   leading", "\u3000全角空格\u3000",
    "it's", "IT'S", "it'S", "we'LL", "you'Re", "I'd", "'s", "''s", "'ſ", "'K", "'\u212a", "İ's", "ǅ'll",
    "don't'", "don’t", "'''", "'\n", "x'\n",
    "<|im_start|>", "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|><|im_end|>", "<<think>>", "<think",
    "<|im_start", "<|im_end|>x<|im_end|>", "<tool_call>\n{\"a\": 1}\n</tool_call>", "</tool_response>",
    "<|endoftext|><|endoftext|>", "a<|fim_pad|>b", "<|vision_start|><|image_pad|><|vision_end|>",
    "e\u0301", "cafe\u0301", "A\u030a", "\u1100\u1161\u11a8", "\u0301start", "x\u0301\u0301\u0301",
    "👨‍👩‍👧‍👦", "🇨🇳🇺🇸", "👍🏽👍🏽", "❤️‍🔥", "\U000E0067\U000E0062", "a😀b", " 😀", "😀 ",
    "12345678901234567890", "3.14", "1,000", "٣٤٥", "½¼", "Ⅻ Ⅻ", "x²", "①",
    "\x85", "a\x85b", "\ufeff", "\ufeffhello", "a\ufeff b", "\x1c\x1d\x1e\x1f", "a\x1cb", "\x00", "a\x00b",
    "\u200b", "a\u200bb", "\u2028", "\u2029x", " \u2028 ", "\xa0\xa0x", "\x0b\x0c",
    "你好，世界！", "今天天气很好我们去公园", "「你好」", "价格¥25.5元", "Привет мир", "ｆｕｌｌｗｉｄｔｈ",
    "def f(x):\n    return x\n", "\tindented\n\t\tmore", "{\"key\": \"值\", \"n\": [1, 2.5, -3e10]}",
    "\uE000\U0010FFFD", "\u0378", "\ud800", "lone \udfff surrogate",
]


def held_out_strings():
    rng = random.Random(20260115)
    out = list(EDGE_CASES)
    for _ in range(150):
        out.append(document(rng))
    for _ in range(150):
        out.append(soup(rng))
    return out


# --- the tiny model folder ------------------------------------------------------------------------


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, arr in tensors.items():
        raw = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def make_tiny_qwen3(folder, tokenizer_dir, tok):
    """A one-layer random Qwen3 with the tokenizer's files, embedding padded to a multiple of 64."""
    os.makedirs(folder, exist_ok=True)
    n_vocab = (tok.n_vocab + 63) // 64 * 64
    E, H, KV, D, FF = 64, 2, 1, 32, 128
    rng = np.random.default_rng(1)
    T = {"model.embed_tokens.weight": rng.standard_normal((n_vocab, E)) * 0.02,
         "model.layers.0.input_layernorm.weight": np.ones(E),
         "model.layers.0.self_attn.q_proj.weight": rng.standard_normal((H * D, E)) * 0.1,
         "model.layers.0.self_attn.k_proj.weight": rng.standard_normal((KV * D, E)) * 0.1,
         "model.layers.0.self_attn.v_proj.weight": rng.standard_normal((KV * D, E)) * 0.1,
         "model.layers.0.self_attn.q_norm.weight": np.ones(D),
         "model.layers.0.self_attn.k_norm.weight": np.ones(D),
         "model.layers.0.self_attn.o_proj.weight": rng.standard_normal((E, H * D)) * 0.1,
         "model.layers.0.post_attention_layernorm.weight": np.ones(E),
         "model.layers.0.mlp.gate_proj.weight": rng.standard_normal((FF, E)) * 0.1,
         "model.layers.0.mlp.up_proj.weight": rng.standard_normal((FF, E)) * 0.1,
         "model.layers.0.mlp.down_proj.weight": rng.standard_normal((E, FF)) * 0.1,
         "model.norm.weight": np.ones(E)}
    write_safetensors(os.path.join(folder, "model.safetensors"), T)
    cfg = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_size": E,
           "intermediate_size": FF, "num_hidden_layers": 1, "num_attention_heads": H,
           "num_key_value_heads": KV, "head_dim": D, "max_position_embeddings": 4096,
           "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "vocab_size": n_vocab,
           "tie_word_embeddings": True, "torch_dtype": "float32",
           "bos_token_id": tok.token_to_id("<|endoftext|>"), "eos_token_id": tok.token_to_id("<|im_end|>")}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tokenizer_dir, name), folder)
    return n_vocab


def read_gguf_metadata(path):
    """GGUF v3 metadata as a dict (arrays as lists); tensor infos are not read."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        v = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return v[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}

    def value(t):
        if t in scalar:
            return take(scalar[t])
        if t == 8:
            return string()
        if t == 9:
            et = take("I")
            return [value(et) for _ in range(take("Q"))]
        raise ValueError(f"{path}: GGUF value type {t}")

    if data[:4] != b"GGUF":
        raise ValueError(f"{path}: not GGUF")
    pos = 4
    take("I")
    take("Q")
    n_kv = take("Q")
    meta = {}
    for _ in range(n_kv):
        k = string()
        meta[k] = value(take("I"))
    return meta


# --- checks ---------------------------------------------------------------------------------------


class Checks:
    def __init__(self, verbose=True):
        self.failures = []
        self.passed = 0
        self.verbose = verbose

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failures.append(what)
            if self.verbose:
                print("FAIL: " + what, flush=True)


def cpp_ids(qwenlayer, model, text):
    r = subprocess.run([qwenlayer, "tokenize", "-m", model, "--ids", "--stdin"],
                       input=text.encode("utf-8", "surrogatepass"), capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"qwenlayer tokenize -m {model} failed ({r.returncode}): {r.stderr.decode()}")
    return json.loads(r.stdout)


def compare_all(qwenlayer, model, tok, strings, label, checks, limit_reports=10):
    bad = 0
    for s in strings:
        want = tok.encode(s)
        got = cpp_ids(qwenlayer, model, s)
        if got != want:
            bad += 1
            if bad <= limit_reports:
                at = next((i for i, (x, y) in enumerate(zip(want, got)) if x != y), min(len(want), len(got)))
                lo = max(0, at - 3)
                text = repr(s) if len(s) <= 160 else repr(s[:160]) + f"... ({len(s)} chars)"
                print(f"  {label} mismatch on {text}: first difference at id {at}\n"
                      f"    bpe.py [{lo}:] {want[lo:at + 8]}\n    C++    [{lo}:] {got[lo:at + 8]}", flush=True)
    checks.check(bad == 0, f"{label}: {bad}/{len(strings)} strings differ")
    return bad


def check_files(tok, out_dir, checks):
    with open(os.path.join(out_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    with open(os.path.join(out_dir, "tokenizer_config.json"), encoding="utf-8") as f:
        tc = json.load(f)
    n_bpe = len(tj["model"]["vocab"])
    checks.check(n_bpe + len(tj["added_tokens"]) == VOCAB_SIZE, f"ids in all: {n_bpe}+{len(tj['added_tokens'])}")
    checks.check(sorted(tj["model"]["vocab"].values()) == list(range(n_bpe)), "BPE ids are 0..n-1")
    checks.check(n_bpe - 256 == len(tj["model"]["merges"]), "one new token per merge")
    checks.check(all(isinstance(m, list) and len(m) == 2 for m in tj["model"]["merges"]),
                 "merges as [left, right] pairs, as in Qwen3's tokenizer.json")
    want_added = [(c, n_bpe + i, s) for i, (c, s) in enumerate(bpe.QWEN3_ADDED_TOKENS)]
    got_added = [(a["content"], a["id"], a["special"]) for a in tj["added_tokens"]]
    checks.check(got_added == want_added and len(want_added) == 26, "added tokens: Qwen3's, in order, after the BPE ids")
    checks.check(all(not a["normalized"] and not a["lstrip"] and not a["rstrip"] for a in tj["added_tokens"]),
                 "added tokens not normalized")
    byte_tokens = [t for t, i in sorted(tj["model"]["vocab"].items(), key=lambda kv: kv[1])[:256]]
    checks.check(byte_tokens[0] == "!" and byte_tokens[220] == "Ġ" and byte_tokens[255] == "Ń" and len(set(byte_tokens)) == 256,
                 "the 256 byte tokens first, in GPT-2's order")
    checks.check(tj["normalizer"] == {"type": "NFC"}, "normalizer NFC")
    pre = tj["pre_tokenizer"]["pretokenizers"]
    checks.check(pre[0]["pattern"]["Regex"] == bpe.PRETOKENIZE_REGEX and pre[0]["behavior"] == "Isolated"
                 and pre[1] == {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False,
                                "use_regex": False}, "pre_tokenizer Split(Qwen2 regex) + ByteLevel")
    checks.check(tj["decoder"]["type"] == "ByteLevel" and tj["model"]["type"] == "BPE"
                 and tj["model"]["byte_fallback"] is False, "BPE model, ByteLevel decoder")
    checks.check(tc["eos_token"] == "<|im_end|>" and tc["pad_token"] == "<|endoftext|>" and tc["bos_token"] is None
                 and tc["add_bos_token"] is False and "chat_template" not in tc, "tokenizer_config.json tokens")
    checks.check({int(k): (v["content"], v["special"]) for k, v in tc["added_tokens_decoder"].items()}
                 == {i: (c, s) for c, i, s in want_added}, "added_tokens_decoder")
    loaded = bpe.Tokenizer.load(out_dir)
    checks.check(loaded.vocab == tok.vocab and loaded.merges == tok.merges and loaded.added == tok.added,
                 "Tokenizer.load gives back the saved tokenizer")
    return n_bpe


def check_gguf(gguf, tok, n_vocab, checks):
    meta = read_gguf_metadata(gguf)
    g = lambda k: meta.get("tokenizer.ggml." + k)  # noqa: E731
    checks.check(g("model") == "gpt2" and g("pre") == "qwen2", "GGUF tokenizer.ggml.model gpt2, pre qwen2")
    tokens, types = g("tokens"), g("token_type")
    checks.check(len(tokens) == n_vocab and len(types) == n_vocab, f"GGUF {len(tokens)} tokens, want {n_vocab}")
    inv = {i: t for t, i in tok.vocab.items()}
    want_tokens, want_types = [], []
    for i in range(n_vocab):
        if i in inv:
            want_tokens.append(inv[i])
            want_types.append(1)
        else:
            want_tokens.append(f"[PAD{i}]")
            want_types.append(5)
    for content, i, special in tok.added:
        want_tokens[i] = content
        want_types[i] = 3 if special or (content.startswith("<|") and content.endswith("|>")) else 4
    checks.check(tokens == want_tokens, "GGUF tokens by id")
    checks.check(types == want_types, "GGUF token types (3 control, 4 <tool_call>/<think>/..., 5 padding)")
    checks.check(g("merges") == [a + " " + b for a, b in tok.merges], "GGUF merges")
    checks.check(g("eos_token_id") == tok.token_to_id("<|im_end|>")
                 and g("padding_token_id") == tok.token_to_id("<|endoftext|>")
                 and g("bos_token_id") == tok.token_to_id("<|endoftext|>") and g("add_bos_token") is False,
                 "GGUF eos/pad/bos ids, no BOS added")


def most_used_merge(tok, strings):
    """Index of the merge whose token appears most in the encodings of `strings`."""
    uses = {}
    for s in strings:
        for i in tok.encode(s):
            if 256 <= i < len(tok.vocab):
                uses[i] = uses.get(i, 0) + 1
    inv = {i: t for t, i in tok.vocab.items()}
    best = max(uses, key=lambda i: (uses[i], -i))
    return next(k for k, (a, b) in enumerate(tok.merges) if a + b == inv[best])


def drop_merge(src_dir, dst_dir, index):
    os.makedirs(dst_dir, exist_ok=True)
    with open(os.path.join(src_dir, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    del tj["model"]["merges"][index]
    with open(os.path.join(dst_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tj, f, ensure_ascii=False)
    if os.path.abspath(src_dir) != os.path.abspath(dst_dir):
        shutil.copy(os.path.join(src_dir, "tokenizer_config.json"), dst_dir)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwenlayer", required=True)
    ap.add_argument("--work", help="scratch folder (default: a new temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--corrupt-merge", action="store_true",
                    help="damage the saved tokenizer's most used merge: the test must then fail")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="bpe_test_")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    checks = Checks()

    corpus = make_corpus(seed=7, n_docs=1500)
    tok = bpe.train([corpus], VOCAB_SIZE)
    tok_dir = os.path.join(work, "tokenizer")
    tok.save(tok_dir)
    print(f"trained {len(tok.merges)} merges on {len(corpus)} characters", flush=True)
    n_bpe = check_files(tok, tok_dir, checks)

    strings = held_out_strings()
    # The C++ tokenizer repairs bytes; bpe.py sees a str with a lone surrogate. Both must agree.
    checks.check(tok.encode("\ud800") == tok.encode("\ufffd\ufffd\ufffd"), "lone surrogate -> 3 x U+FFFD")
    bad_rt = [s for s in strings if tok.decode(tok.encode(s)) != unicodedata.normalize("NFC", bpe._sanitize(s))]
    for s in bad_rt[:5]:
        print(f"  round trip differs on {s!r}: {tok.decode(tok.encode(s))!r}")
    checks.check(not bad_rt, f"decode(encode(s)) == NFC(s): {len(bad_rt)}/{len(strings)} differ")
    checks.check(tok.decode([n_bpe + 2, 10 ** 6]) == "<|im_end|>", "decode: added token text, unknown id as nothing")

    if a.corrupt_merge:
        k = most_used_merge(tok, strings)
        print(f"--corrupt-merge: dropping merge {k} {tok.merges[k]} from the saved tokenizer", flush=True)
        drop_merge(tok_dir, tok_dir, k)

    folder = os.path.join(work, "tiny-qwen3")
    n_vocab = make_tiny_qwen3(folder, tok_dir, tok)
    gguf = os.path.join(work, "tiny-qwen3-f32.gguf")
    r = subprocess.run([a.qwenlayer, "convert", folder, "-o", gguf, "--type", "f32", "-t", "1", "-f"],
                       capture_output=True, text=True)
    checks.check(r.returncode == 0, f"qwenlayer convert: {r.stderr.strip()[-500:]}")
    if r.returncode == 0:
        check_gguf(gguf, tok, n_vocab, checks)

    compare_all(a.qwenlayer, os.path.join(tok_dir, "tokenizer.json"), tok, strings, "tokenizer.json", checks)
    if r.returncode == 0:
        compare_all(a.qwenlayer, gguf, tok, strings, "GGUF", checks)

    # Negative control: one merge fewer must change some ids, and the comparison must see it.
    k = most_used_merge(tok, strings)
    broken = os.path.join(work, "broken")
    drop_merge(tok_dir, broken, k)
    sample = [s for s in strings if tok.merges[k][0] + tok.merges[k][1] in
              "".join(bpe._to_chars(tok.id_to_bytes(i)) for i in tok.encode(s))][:20]
    quiet = Checks(verbose=False)
    bad = compare_all(a.qwenlayer, os.path.join(broken, "tokenizer.json"), tok, sample, "control", quiet,
                      limit_reports=0)
    checks.check(sample and bad > 0, f"negative control: without merge {k}, {bad}/{len(sample)} strings differ")

    print(f"{checks.passed} checks passed, {len(checks.failures)} failed "
          f"({len(strings)} held-out strings, {len(tok.merges)} merges)")
    if checks.failures:
        print(f"files kept in {work}")
    elif not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if checks.failures else 0


if __name__ == "__main__":
    sys.exit(main())
