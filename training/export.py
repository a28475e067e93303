#!/usr/bin/python3
"""Exports a train.py run as a Hugging Face Qwen3 folder that `qwenlayer convert` turns into GGUF.

    /usr/bin/python3 training/export.py --run RUN_DIR --tokenizer TOKDIR --out HF_DIR [--dtype f32|bf16]
    build/qwenlayer convert HF_DIR -o model.gguf --type f16

Reads RUN_DIR/checkpoint.pt (its "config" and "model" entries) and writes into HF_DIR:
config.json (Qwen3ForCausalLM, model_type "qwen3", the model's hyperparameters, bos/eos ids
from the tokenizer), model.safetensors (written here with numpy: 8-byte little-endian header
length, JSON header of dtype/shape/data_offsets, raw little-endian data; tensors under Hugging
Face's Qwen3 names, no lm_head when tied), generation_config.json, and a copy of every file in
TOKDIR (tokenizer.json, tokenizer_config.json, chat_template.jinja, ...). BF16 is rounded to
nearest even from the float32 weights. Exit status 2 with a message naming the file on errors.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np


def to_bf16_bits(x):
    """float32 array -> uint16 bfloat16 bit patterns, round to nearest even (NaN kept NaN)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(x)
    r[nan] = 0x7FC0
    return r


def write_safetensors(path, tensors, dtype):
    """tensors: ordered {name: float32 ndarray}. dtype "f32" or "bf16"."""
    header, off = {}, 0
    raws = []
    for name, arr in tensors.items():
        if dtype == "f32":
            raw, dt = np.ascontiguousarray(arr, dtype="<f4").tobytes(), "F32"
        else:
            raw, dt = to_bf16_bits(arr).astype("<u2").tobytes(), "BF16"
        header[name] = {"dtype": dt, "shape": list(arr.shape), "data_offsets": [off, off + len(raw)]}
        raws.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # keep the data 8-byte aligned
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for raw in raws:
            f.write(raw)
    os.replace(tmp, path)


def special_ids(tok_dir):
    """{content: id} of tokenizer.json's added tokens."""
    with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    return {t["content"]: t["id"] for t in tok.get("added_tokens", [])}


def tokenizer_size(tok_dir):
    """1 + the largest token id of tokenizer.json (vocab and added tokens)."""
    with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    ids = list(tok["model"]["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]
    return max(ids) + 1


def hf_config(cfg, dtype, specials):
    out = {
        "architectures": ["Qwen3ForCausalLM"],
        "model_type": "qwen3",
        "vocab_size": cfg["vocab_size"],
        "hidden_size": cfg["hidden_size"],
        "intermediate_size": cfg["intermediate_size"],
        "num_hidden_layers": cfg["num_hidden_layers"],
        "num_attention_heads": cfg["num_attention_heads"],
        "num_key_value_heads": cfg["num_key_value_heads"],
        "head_dim": cfg["head_dim"],
        "hidden_act": "silu",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "rope_theta": cfg["rope_theta"],
        "rope_scaling": None,
        "rms_norm_eps": cfg["rms_norm_eps"],
        "max_position_embeddings": cfg["max_position_embeddings"],
        "initializer_range": 0.02,
        "tie_word_embeddings": cfg["tie_word_embeddings"],
        "use_cache": True,
        "use_sliding_window": False,
        "sliding_window": None,
        "max_window_layers": cfg["num_hidden_layers"],
        "torch_dtype": {"f32": "float32", "bf16": "bfloat16"}[dtype],
    }
    if "<|endoftext|>" in specials:
        out["bos_token_id"] = specials["<|endoftext|>"]
    eos = specials.get("<|im_end|>", specials.get("<|endoftext|>"))
    if eos is not None:
        out["eos_token_id"] = eos
    return out


def generation_config(specials):
    out = {}
    if "<|endoftext|>" in specials:
        out["bos_token_id"] = specials["<|endoftext|>"]
        out["pad_token_id"] = specials["<|endoftext|>"]
    eos = [specials[t] for t in ("<|im_end|>", "<|endoftext|>") if t in specials]
    if eos:
        out["eos_token_id"] = eos
    return out


def export(run_dir, tok_dir, out_dir, dtype="f32"):
    import torch  # only here, so that the writers above are usable without torch

    ckpt = os.path.join(run_dir, "checkpoint.pt")
    state = torch.load(ckpt, map_location="cpu")
    cfg = state["config"]
    sd = state["model"]
    tensors = {}
    for name, t in sd.items():
        if name == "lm_head.weight" and cfg.get("tie_word_embeddings", True):
            continue
        tensors[name] = t.detach().float().numpy()
    expected = {"model.embed_tokens.weight", "model.norm.weight"}
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        expected |= {p + n for n in ("input_layernorm.weight", "post_attention_layernorm.weight",
                                     "self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                                     "self_attn.o_proj.weight", "self_attn.q_norm.weight", "self_attn.k_norm.weight",
                                     "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight")}
    if not cfg.get("tie_word_embeddings", True):
        expected.add("lm_head.weight")
    if set(tensors) != expected:
        raise ValueError("%s: tensors differ from a Qwen3 model: missing %s, unexpected %s" %
                         (ckpt, sorted(expected - set(tensors))[:5], sorted(set(tensors) - expected)[:5]))

    specials = special_ids(tok_dir)
    n_tok = tokenizer_size(tok_dir)
    if n_tok > cfg["vocab_size"]:
        raise ValueError("%s has %d tokens but the model in %s has only %d vocabulary rows" %
                         (os.path.join(tok_dir, "tokenizer.json"), n_tok, ckpt, cfg["vocab_size"]))
    os.makedirs(out_dir, exist_ok=True)
    for fn in sorted(os.listdir(tok_dir)):
        src = os.path.join(tok_dir, fn)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(out_dir, fn))
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(hf_config(cfg, dtype, specials), f, indent=2)
    with open(os.path.join(out_dir, "generation_config.json"), "w") as f:
        json.dump(generation_config(specials), f, indent=2)
    # Order: embedding, layers in order, final norm (as Hugging Face saves them).
    def key(n):
        parts = n.split(".")
        if parts[:2] == ["model", "layers"]:
            return (1, int(parts[2]), n)
        return (0 if "embed" in n else 2, 0, n)
    write_safetensors(os.path.join(out_dir, "model.safetensors"), {n: tensors[n] for n in sorted(tensors, key=key)},
                      dtype)
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="train.py's run folder (checkpoint.pt)")
    ap.add_argument("--tokenizer", required=True, help="folder with tokenizer.json (all its files are copied)")
    ap.add_argument("--out", required=True, help="Hugging Face folder to write")
    ap.add_argument("--dtype", choices=["f32", "bf16"], default="f32")
    a = ap.parse_args()
    try:
        cfg = export(a.run, a.tokenizer, a.out, a.dtype)
    except (OSError, ValueError, KeyError) as e:
        print("export.py: %s" % e, file=sys.stderr)
        return 2
    print("export.py: wrote %s (%d layers x %d, vocab %d, %s)" %
          (a.out, cfg["num_hidden_layers"], cfg["hidden_size"], cfg["vocab_size"], a.dtype), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
