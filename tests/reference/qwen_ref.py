#!/usr/bin/python3
"""Reference forward pass for Qwen2 / Qwen3 dense models, in numpy (float64).

Written from the Hugging Face modeling semantics (Qwen2ForCausalLM / Qwen3ForCausalLM):
RMSNorm(x) = x / sqrt(mean(x^2) + eps) * w; q/k/v projections (with bias for Qwen2); Qwen3's
per-head RMSNorm of q and k; rotary embedding with rotate_half over inv_freq =
base^(-arange(0, d, 2) / d); grouped-query causal attention scaled by 1/sqrt(head_dim);
o_proj; residual; SwiGLU MLP down(silu(gate(x)) * up(x)); residual; final norm; lm_head (or
the embedding when tied).

It loads weights from a Hugging Face folder (config.json + safetensors) or from a GGUF file,
which it parses and dequantizes itself (F32, F16, BF16, Q8_0, Q4_0, Q5_0, Q4_K, Q6_K), so it is
an oracle independent of the engine's own readers and kernels.

    qwen_ref.py MODEL --tokens 1,2,3 [--top K]   prints {"positions":[{"ids":[...],"logits":[...]}]}
    qwen_ref.py MODEL --tokens 1,2,3 --full OUT.npy   saves all logits (T, n_vocab)
"""
import argparse
import json
import os
import struct
import sys

import numpy as np

# ----------------------------------------------------------------------------- safetensors / HF

HF_TO_GGUF = {
    "model.embed_tokens.weight": "token_embd.weight",
    "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
HF_LAYER = {
    "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def gguf_name(hf_name):
    if hf_name in HF_TO_GGUF:
        return HF_TO_GGUF[hf_name]
    parts = hf_name.split(".")
    if parts[:2] == ["model", "layers"]:
        return "blk.%s.%s" % (parts[2], HF_LAYER[".".join(parts[3:])])
    raise KeyError(hf_name)


SAFETENSORS_GGML_TYPE = {"F32": 0, "F16": 1, "BF16": 30}


def read_safetensors(path, types=None):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[base + a:base + b]
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4").astype(np.float64)
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2").astype(np.float64)
        elif dt == "BF16":
            arr = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        else:
            raise ValueError("dtype " + dt)
        out[name] = arr.reshape(info["shape"])
        if types is not None:
            types[name] = SAFETENSORS_GGML_TYPE[dt]
    return out


def load_hf(folder):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    tensors = {}
    index = os.path.join(folder, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    hf_types, types = {}, {}
    for fn in files:
        for k, v in read_safetensors(os.path.join(folder, fn), hf_types).items():
            tensors[gguf_name(k)] = v
            types[gguf_name(k)] = hf_types[k]
    arch = cfg["model_type"]
    hp = dict(
        arch=arch,
        n_layer=cfg["num_hidden_layers"],
        n_head=cfg["num_attention_heads"],
        n_head_kv=cfg.get("num_key_value_heads", cfg["num_attention_heads"]),
        head_dim=cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"],
        eps=cfg["rms_norm_eps"],
        theta=cfg.get("rope_theta", 10000.0),
        types=types,
    )
    return hp, tensors

# ----------------------------------------------------------------------------- GGUF

GGUF_SCALAR = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}
# ggml type id -> (block elements, block bytes)
GGML_BLOCK = {0: (1, 4), 1: (1, 2), 30: (1, 2), 8: (32, 34), 2: (32, 18), 6: (32, 22), 12: (256, 144), 14: (256, 210)}


class Reader:
    def __init__(self, data):
        self.d, self.o = data, 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.o)
        self.o += struct.calcsize(fmt)
        return v[0]

    def string(self):
        n = self.take("<Q")
        s = self.d[self.o:self.o + n].decode("utf-8", errors="replace")
        self.o += n
        return s

    def value(self, t):
        if t == 8:
            return self.string()
        if t == 9:
            et, n = self.take("<I"), self.take("<Q")
            return [self.value(et) for _ in range(n)]
        return self.take(GGUF_SCALAR[t])


def f16(b):
    return np.frombuffer(b, dtype="<f2").astype(np.float64)


def dequant(t, raw, n):
    if t == 0:
        return np.frombuffer(raw, dtype="<f4").astype(np.float64)
    if t == 1:
        return f16(raw)
    if t == 30:
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    blk, size = GGML_BLOCK[t]
    b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, size)
    if t == 8:  # Q8_0: d, 32 x int8
        d = f16(b[:, :2].tobytes())[:, None]
        return (d * b[:, 2:].view(np.int8)).reshape(-1)
    if t == 2:  # Q4_0: d, 16 bytes; low nibbles are elements 0..15, high 16..31
        d = f16(b[:, :2].tobytes())[:, None]
        qs = b[:, 2:]
        q = np.concatenate([qs & 15, qs >> 4], axis=1).astype(np.int32) - 8
        return (d * q).reshape(-1)
    if t == 6:  # Q5_0: d, qh (32 high bits), 16 bytes of low nibbles
        d = f16(b[:, :2].tobytes())[:, None]
        qh = b[:, 2:6].copy().view("<u4")[:, 0].astype(np.int64)
        qs = b[:, 6:].astype(np.int64)
        j = np.arange(16)
        hi0 = ((qh[:, None] >> j) & 1) << 4
        hi1 = ((qh[:, None] >> (j + 16)) & 1) << 4
        q = np.concatenate([(qs & 15) | hi0, (qs >> 4) | hi1], axis=1) - 16
        return (d * q).reshape(-1)
    if t == 12:  # Q4_K: d, dmin, 12 bytes of 6-bit scales/mins, 128 bytes of nibbles
        d = f16(b[:, 0:2].tobytes())
        dmin = f16(b[:, 2:4].tobytes())
        s = b[:, 4:16].astype(np.int64)
        qs = b[:, 16:].astype(np.int64)
        out = np.zeros((b.shape[0], 256))
        for j in range(8):
            if j < 4:
                sc, m = s[:, j] & 63, s[:, j + 4] & 63
            else:
                sc = (s[:, j + 4] & 15) | ((s[:, j - 4] >> 6) << 4)
                m = (s[:, j + 4] >> 4) | ((s[:, j] >> 6) << 4)
            chunk = qs[:, (j // 2) * 32:(j // 2) * 32 + 32]
            q = chunk & 15 if j % 2 == 0 else chunk >> 4
            out[:, j * 32:(j + 1) * 32] = (d * sc)[:, None] * q - (dmin * m)[:, None]
        return out.reshape(-1)
    if t == 14:  # Q6_K: ql[128], qh[64], scales int8[16], d
        ql = b[:, :128].astype(np.int64)
        qh = b[:, 128:192].astype(np.int64)
        sc = b[:, 192:208].view(np.int8).astype(np.float64)
        d = f16(b[:, 208:210].tobytes())
        out = np.zeros((b.shape[0], 256))
        for half in range(2):
            L, H, S = ql[:, half * 64:], qh[:, half * 32:], sc[:, half * 8:]
            for l in range(32):
                i = l // 16
                q1 = ((L[:, l] & 15) | (((H[:, l] >> 0) & 3) << 4)) - 32
                q2 = ((L[:, l + 32] & 15) | (((H[:, l] >> 2) & 3) << 4)) - 32
                q3 = ((L[:, l] >> 4) | (((H[:, l] >> 4) & 3) << 4)) - 32
                q4 = ((L[:, l + 32] >> 4) | (((H[:, l] >> 6) & 3) << 4)) - 32
                base = half * 128
                out[:, base + l] = d * S[:, i] * q1
                out[:, base + l + 32] = d * S[:, i + 2] * q2
                out[:, base + l + 64] = d * S[:, i + 4] * q3
                out[:, base + l + 96] = d * S[:, i + 6] * q4
        return out.reshape(-1)
    raise ValueError("ggml type %d not supported by the reference" % t)


def round_half_away(v):
    """C's roundf (ties away from zero); numpy's round goes to even."""
    return np.sign(v) * np.floor(np.abs(v) + np.float32(0.5))


def round_activations(x, wtype):
    """Rounds activations the way the engine (and ggml) does before a dot product with weights
    of ggml type `wtype`: F16/BF16 weights see F16/BF16 activations, Q4_0/Q5_0/Q8_0 see Q8_0
    blocks of 32 (scale rounded to fp16), K-quants see Q8_K blocks of 256 (float scale)."""
    if wtype is None or wtype == 0:
        return x
    shape = x.shape
    if wtype == 1:
        return x.astype(np.float16).astype(np.float64)
    if wtype == 30:
        u = x.astype(np.float32).view(np.uint32).astype(np.uint64)
        u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
        return u.astype(np.uint32).view(np.float32).astype(np.float64).reshape(shape)
    xf = x.astype(np.float32)
    if wtype in (2, 6, 8):
        b = xf.reshape(-1, 32)
        amax = np.abs(b).max(axis=1, keepdims=True)
        d = amax / np.float32(127)
        inv = np.where(d > 0, np.float32(1) / np.where(d > 0, d, 1), 0).astype(np.float32)
        q = round_half_away(b * inv)
        return (q * d.astype(np.float16).astype(np.float64)).reshape(shape)
    if wtype in (12, 14):
        b = xf.reshape(-1, 256)
        idx = np.abs(b).argmax(axis=1)
        mx = b[np.arange(b.shape[0]), idx][:, None]
        iscale = np.where(mx != 0, np.float32(-127) / np.where(mx != 0, mx, 1), 0).astype(np.float32)
        q = np.minimum(round_half_away(iscale * b), 127)
        d = np.where(iscale != 0, np.float32(1) / np.where(iscale != 0, iscale, 1), 0).astype(np.float32)
        return (q * d.astype(np.float64)).reshape(shape)
    raise ValueError("no activation rounding for ggml type %d" % wtype)


def load_gguf(path):
    data = open(path, "rb").read()
    r = Reader(data)
    assert r.take("<I") == 0x46554747, "bad magic"
    version = r.take("<I")
    assert version in (2, 3)
    n_t, n_kv = r.take("<Q"), r.take("<Q")
    kv = {}
    for _ in range(n_kv):
        k = r.string()
        kv[k] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_t):
        name = r.string()
        nd = r.take("<I")
        ne = [r.take("<Q") for _ in range(nd)]
        t = r.take("<I")
        off = r.take("<Q")
        infos.append((name, ne, t, off))
    align = kv.get("general.alignment", 32)
    base = (r.o + align - 1) // align * align
    tensors = {}
    types = {}
    for name, ne, t, off in infos:
        types[name] = t
        n = int(np.prod(ne))
        blk, size = GGML_BLOCK[t]
        raw = data[base + off:base + off + n // blk * size]
        tensors[name] = dequant(t, raw, n).reshape(list(reversed(ne)))
    a = kv["general.architecture"]
    n_head = kv[a + ".attention.head_count"]
    hp = dict(
        arch=a,
        n_layer=kv[a + ".block_count"],
        n_head=n_head,
        n_head_kv=kv.get(a + ".attention.head_count_kv", n_head),
        head_dim=kv.get(a + ".attention.key_length", kv[a + ".embedding_length"] // n_head),
        eps=kv[a + ".attention.layer_norm_rms_epsilon"],
        theta=kv.get(a + ".rope.freq_base", 10000.0),
    )
    hp["types"] = types
    return hp, tensors

# ----------------------------------------------------------------------------- forward


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope(x, pos, theta):
    # x: (T, heads, d). HF: x * cos + rotate_half(x) * sin, rotate_half = cat(-x2, x1).
    d = x.shape[-1]
    inv_freq = 1.0 / (theta ** (np.arange(0, d, 2, dtype=np.float64) / d))
    ang = pos[:, None] * inv_freq[None, :]
    cos = np.concatenate([np.cos(ang)] * 2, axis=-1)[:, None, :]
    sin = np.concatenate([np.sin(ang)] * 2, axis=-1)[:, None, :]
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return x * cos + np.concatenate([-x2, x1], axis=-1) * sin


def forward(hp, W, tokens, engine_rounding=False):
    """Logits (T, n_vocab) for `tokens` at positions 0..T-1. With engine_rounding, activations
    are rounded as the engine rounds them before each matmul (round_activations), which leaves
    only float32 summation order between the two."""
    types = hp.get("types", {}) if engine_rounding else {}

    def mm(x, name):
        return round_activations(x, types.get(name)) @ W[name].T

    T = len(tokens)
    pos = np.arange(T, dtype=np.float64)
    H, KVH, D, eps = hp["n_head"], hp["n_head_kv"], hp["head_dim"], hp["eps"]
    x = W["token_embd.weight"][tokens]
    mask = np.triu(np.full((T, T), -np.inf), k=1)
    for il in range(hp["n_layer"]):
        p = lambda n: W["blk.%d.%s" % (il, n)]
        h = rms_norm(x, p("attn_norm.weight"), eps)
        n = lambda s: "blk.%d.%s" % (il, s)
        q = mm(h, n("attn_q.weight"))
        k = mm(h, n("attn_k.weight"))
        v = mm(h, n("attn_v.weight"))
        if hp["arch"] == "qwen2":
            q, k, v = q + p("attn_q.bias"), k + p("attn_k.bias"), v + p("attn_v.bias")
        q, k, v = q.reshape(T, H, D), k.reshape(T, KVH, D), v.reshape(T, KVH, D)
        if hp["arch"] == "qwen3":
            q = rms_norm(q, p("attn_q_norm.weight"), eps)
            k = rms_norm(k, p("attn_k_norm.weight"), eps)
        q, k = rope(q, pos, hp["theta"]), rope(k, pos, hp["theta"])
        rep = H // KVH
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        att = np.einsum("thd,shd->hts", q, k) / np.sqrt(D) + mask
        att = np.exp(att - att.max(axis=-1, keepdims=True))
        att /= att.sum(axis=-1, keepdims=True)
        o = np.einsum("hts,shd->thd", att, v).reshape(T, H * D)
        x = x + mm(o, n("attn_output.weight"))
        h = rms_norm(x, p("ffn_norm.weight"), eps)
        g = mm(h, n("ffn_gate.weight"))
        u = mm(h, n("ffn_up.weight"))
        x = x + mm((g / (1.0 + np.exp(-g))) * u, n("ffn_down.weight"))
    x = rms_norm(x, W["output_norm.weight"], eps)
    return mm(x, "output.weight" if "output.weight" in W else "token_embd.weight")


def load(path):
    return load_hf(path) if os.path.isdir(path) else load_gguf(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--tokens", required=True, help="comma-separated token ids")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--full", help="save all logits (T, n_vocab) to this .npy file")
    ap.add_argument("--engine-rounding", action="store_true",
                    help="round activations before each matmul as the engine does")
    a = ap.parse_args()
    hp, W = load(a.model)
    tokens = [int(t) for t in a.tokens.split(",")]
    logits = forward(hp, W, tokens, a.engine_rounding)
    if a.full:
        np.save(a.full, logits)
        return
    pos = []
    for row in logits:
        ids = np.argsort(-row, kind="stable")[: a.top]
        pos.append({"ids": [int(i) for i in ids], "logits": [float(row[i]) for i in ids]})
    json.dump({"tokens": tokens, "positions": pos}, sys.stdout)


if __name__ == "__main__":
    main()
