#!/usr/bin/python3
"""Writes a tiny random-weight Qwen2 or Qwen3 model as a Hugging Face folder.

The folder holds config.json, model.safetensors (or two shards with an index), tokenizer.json
(a small byte-level BPE in the same structure as Qwen's: NFC, the Qwen split regex, ByteLevel,
special tokens) and tokenizer_config.json with a ChatML template. Weights are deterministic for
a given --seed and scaled so that activations stay O(1), which makes logits meaningful numbers
to compare rather than near-zero noise.

    make_tiny_model.py OUT_DIR --arch qwen2|qwen3 [--dtype f32|bf16|f16] [--shards 2] [--seed N]
"""
import argparse
import collections
import json
import os
import struct

import numpy as np

QWEN_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
              r"|\s*[\r\n]+|\s+(?!\S)|\s+")

TRAIN_TEXT = (
    "order two oat lattes to my office. the assistant finds the cafe and the coupon. "
    "hello world! how do I get to the airport by bike? the weather is nice today. "
    "please confirm the order before payment. thank you, that is all for now. "
) * 4


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def make_tokenizer(n_merges):
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: i for i, b in enumerate(range(256))}
    # Words as the pre-tokenizer would roughly cut them: a leading space joins the word.
    words = collections.Counter()
    for i, w in enumerate(TRAIN_TEXT.split(" ")):
        words[("Ġ" if i else "") + "".join(b2u[c] for c in w.encode())] += 1
    seqs = {w: list(w) for w in words}
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for w, s in seqs.items():
            for a, b in zip(s, s[1:]):
                pairs[(a, b)] += words[w]
        if not pairs:
            break
        (a, b), _ = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))
        merges.append(a + " " + b)
        vocab.setdefault(a + b, len(vocab))
        for w, s in seqs.items():
            out, i = [], 0
            while i < len(s):
                if i + 1 < len(s) and s[i] == a and s[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(s[i])
                    i += 1
            seqs[w] = out
    n = len(vocab)
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    added = [dict(id=n + i, content=s, single_word=False, lstrip=False, rstrip=False, normalized=False, special=True)
             for i, s in enumerate(specials)]
    tok = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": QWEN_SPLIT}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}]},
        "post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                  "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [m.split(" ") for m in merges]},
    }
    return tok, n + len(specials)


class Lazy:
    """A tensor drawn when it is written: a 7B-shaped model (30 GB as float32) never sits in
    memory whole. Tensors are drawn in the order they were declared, which is the order they
    are written, so the random stream (and every value) is what drawing them eagerly gives."""

    def __init__(self, shape, draw):
        self.shape, self.draw = tuple(shape), draw


def encode(arr, dtype):
    if dtype == "f32":
        return arr.astype("<f4").tobytes(), "F32"
    if dtype == "f16":
        return arr.astype("<f2").tobytes(), "F16"
    u = arr.astype(np.float32).view(np.uint32).astype(np.uint64)  # bf16, round to nearest even
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype("<u2")
    return u.tobytes(), "BF16"


def write_safetensors(path, tensors, dtype):
    width = {"f32": 4, "f16": 2, "bf16": 2}[dtype]
    name_of = {"f32": "F32", "f16": "F16", "bf16": "BF16"}[dtype]
    header, off = {}, 0
    for name, t in tensors.items():
        size = int(np.prod(t.shape)) * width
        header[name] = {"dtype": name_of, "shape": list(t.shape), "data_offsets": [off, off + size]}
        off += size
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, t in tensors.items():
            raw, _ = encode(t.draw() if isinstance(t, Lazy) else t, dtype)
            assert len(raw) == header[name]["data_offsets"][1] - header[name]["data_offsets"][0]
            f.write(raw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--arch", choices=["qwen2", "qwen3"], default="qwen2")
    ap.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    ap.add_argument("--shards", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n-embd", type=int, default=256)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-ff", type=int, default=512)
    ap.add_argument("--untied", action="store_true", help="write a separate lm_head")
    ap.add_argument("--n-head", type=int, help="query heads (default: 4 for qwen2, 8 for qwen3)")
    ap.add_argument("--n-head-kv", type=int, default=2)
    ap.add_argument("--head-dim", type=int, help="default: hidden / heads for qwen2, 64 for qwen3")
    ap.add_argument("--tokenizer-dir", help="use this folder's tokenizer.json and tokenizer_config.json")
    ap.add_argument("--vocab-size", type=int, help="embedding rows (default: tokens rounded up to 64)")
    ap.add_argument("--std", type=float, help="draw every matrix from N(0, std) instead of 1/sqrt(n_in) scaling")
    a = ap.parse_args()

    if a.tokenizer_dir:
        with open(os.path.join(a.tokenizer_dir, "tokenizer.json"), encoding="utf-8") as f:
            tok = json.load(f)
        n_tok = len(tok["model"]["vocab"]) + len(tok.get("added_tokens", []))
    else:
        tok, n_tok = make_tokenizer(60)
    n_vocab = a.vocab_size or (n_tok + 63) // 64 * 64  # padded like Qwen's (151936 > 151669)
    E = a.n_embd
    if a.arch == "qwen2":
        H, KVH, D = a.n_head or 4, a.n_head_kv, a.head_dim or E // (a.n_head or 4)
    else:
        H, KVH, D = a.n_head or 8, a.n_head_kv, a.head_dim or 64  # q width 512 != hidden 256 by default
    rng = np.random.default_rng(a.seed)

    def lin(n_out, n_in):
        if a.std:
            return Lazy((n_out, n_in), lambda: a.std * rng.standard_normal((n_out, n_in), dtype=np.float32))
        return Lazy((n_out, n_in),
                    lambda: rng.standard_normal((n_out, n_in), dtype=np.float32) / np.float32(np.sqrt(n_in)))

    def norm(n):
        return Lazy((n,), lambda: 1.0 + 0.1 * rng.standard_normal(n))

    def bias(n):
        return Lazy((n,), lambda: 0.1 * rng.standard_normal(n))

    T = {"model.embed_tokens.weight": Lazy(
        (n_vocab, E), lambda: np.float32(a.std or 0.2) * rng.standard_normal((n_vocab, E), dtype=np.float32))}
    for il in range(a.n_layer):
        p = "model.layers.%d." % il
        T[p + "input_layernorm.weight"] = norm(E)
        T[p + "self_attn.q_proj.weight"] = lin(H * D, E)
        T[p + "self_attn.k_proj.weight"] = lin(KVH * D, E)
        T[p + "self_attn.v_proj.weight"] = lin(KVH * D, E)
        if a.arch == "qwen2":
            T[p + "self_attn.q_proj.bias"] = bias(H * D)
            T[p + "self_attn.k_proj.bias"] = bias(KVH * D)
            T[p + "self_attn.v_proj.bias"] = bias(KVH * D)
        else:
            T[p + "self_attn.q_norm.weight"] = norm(D)
            T[p + "self_attn.k_norm.weight"] = norm(D)
        T[p + "self_attn.o_proj.weight"] = lin(E, H * D)
        T[p + "post_attention_layernorm.weight"] = norm(E)
        T[p + "mlp.gate_proj.weight"] = lin(a.n_ff, E)
        T[p + "mlp.up_proj.weight"] = lin(a.n_ff, E)
        T[p + "mlp.down_proj.weight"] = lin(E, a.n_ff)
    T["model.norm.weight"] = norm(E)
    if a.untied:
        T["lm_head.weight"] = lin(n_vocab, E)

    os.makedirs(a.out, exist_ok=True)
    cfg = {
        "architectures": ["Qwen2ForCausalLM" if a.arch == "qwen2" else "Qwen3ForCausalLM"],
        "model_type": a.arch, "hidden_size": E, "intermediate_size": a.n_ff,
        "num_hidden_layers": a.n_layer, "num_attention_heads": H, "num_key_value_heads": KVH,
        "max_position_embeddings": 4096, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
        "vocab_size": n_vocab, "tie_word_embeddings": not a.untied, "torch_dtype": "float32",
        "bos_token_id": n_tok - 3, "eos_token_id": n_tok - 1,
    }
    if a.tokenizer_dir:
        ids = {t["content"]: t["id"] for t in tok.get("added_tokens", [])}
        cfg["bos_token_id"], cfg["eos_token_id"] = ids["<|endoftext|>"], ids["<|im_end|>"]
    if a.arch == "qwen3":
        cfg["head_dim"] = D
    json.dump(cfg, open(os.path.join(a.out, "config.json"), "w"), indent=2)
    json.dump(tok, open(os.path.join(a.out, "tokenizer.json"), "w"), ensure_ascii=False)
    if a.tokenizer_dir:
        import shutil
        shutil.copy(os.path.join(a.tokenizer_dir, "tokenizer_config.json"), a.out)
        names = list(T)
        if a.shards <= 1:
            write_safetensors(os.path.join(a.out, "model.safetensors"), T, a.dtype)
        else:
            write_sharded(a, T, names)
        return
    template = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
    json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None,
               "add_bos_token": False, "chat_template": template},
              open(os.path.join(a.out, "tokenizer_config.json"), "w"), indent=2)
    names = list(T)
    if a.shards <= 1:
        write_safetensors(os.path.join(a.out, "model.safetensors"), T, a.dtype)
    else:
        write_sharded(a, T, names)


def write_sharded(a, T, names):
    weight_map = {}
    per = (len(names) + a.shards - 1) // a.shards
    for s in range(a.shards):
        fn = "model-%05d-of-%05d.safetensors" % (s + 1, a.shards)
        part = {n: T[n] for n in names[s * per:(s + 1) * per]}
        write_safetensors(os.path.join(a.out, fn), part, a.dtype)
        weight_map.update({n: fn for n in part})
    json.dump({"metadata": {}, "weight_map": weight_map},
              open(os.path.join(a.out, "model.safetensors.index.json"), "w"), indent=2)


if __name__ == "__main__":
    main()
