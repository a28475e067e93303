"""Qwen3ForCausalLM in plain torch, for training qwenlayer's small default model.

The architecture is Hugging Face's Qwen3 dense model: token embedding; per layer
x += o(attn(rope(q_norm(q(n1(x)))), rope(k_norm(k(n1(x)))), v(n1(x)))) and
x += down(silu(gate(n2(x))) * up(n2(x))); final RMSNorm; lm_head tied to the embedding. RMSNorm
computes in float32 (x / sqrt(mean(x^2) + eps) * w), q_norm / k_norm are RMSNorms over each
head's head_dim, RoPE is the "neox" rotate-half layout with inv_freq = theta^(-2i/head_dim),
attention is grouped-query and causal with scale 1/sqrt(head_dim), and no projection has a bias.

Module and parameter names are Hugging Face's ("model.layers.3.self_attn.q_proj.weight"), so
`state_dict()` keys are the safetensors names that export.py writes and `qwenlayer convert`
reads. Written for Debian's torch 1.13 (no scaled_dot_product_attention there: a masked softmax
is used unless a newer torch provides it).
"""
import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn


@dataclasses.dataclass
class Config:
    """Hyperparameters under Hugging Face's Qwen3 config.json names."""
    vocab_size: int = 6016
    hidden_size: int = 256
    intermediate_size: int = 768
    num_hidden_layers: int = 6
    num_attention_heads: int = 4
    num_key_value_heads: int = 2
    head_dim: int = 64
    rope_theta: float = 1000000.0
    rms_norm_eps: float = 1e-6
    max_position_embeddings: int = 4096
    tie_word_embeddings: bool = True

    def validate(self):
        if self.num_attention_heads % self.num_key_value_heads:
            raise ValueError("num_attention_heads (%d) must be a multiple of num_key_value_heads (%d)" %
                             (self.num_attention_heads, self.num_key_value_heads))
        if self.head_dim % 2:
            raise ValueError("head_dim (%d) must be even for RoPE" % self.head_dim)

    @staticmethod
    def from_dict(d):
        names = {f.name for f in dataclasses.fields(Config)}
        return Config(**{k: v for k, v in d.items() if k in names})


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rope_tables(cfg, n_pos, device):
    """cos, sin of shape (n_pos, head_dim), halves repeated as in rotate_half RoPE."""
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float64) / cfg.head_dim))
    freqs = torch.outer(torch.arange(n_pos, dtype=torch.float64), inv_freq)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos().float().to(device), emb.sin().float().to(device)


def apply_rope(x, cos, sin):
    """x: (B, heads, T, D); cos/sin: (T, D)."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos.to(x.dtype) + rotated * sin.to(x.dtype)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        H, KV, D, E = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim, cfg.hidden_size
        self.q_proj = nn.Linear(E, H * D, bias=False)
        self.k_proj = nn.Linear(E, KV * D, bias=False)
        self.v_proj = nn.Linear(E, KV * D, bias=False)
        self.o_proj = nn.Linear(H * D, E, bias=False)
        self.q_norm = RMSNorm(D, cfg.rms_norm_eps)
        self.k_norm = RMSNorm(D, cfg.rms_norm_eps)

    def forward(self, x, cos, sin, causal_mask):
        B, T, _ = x.shape
        H, KV, D = self.cfg.num_attention_heads, self.cfg.num_key_value_heads, self.cfg.head_dim
        q = self.q_norm(self.q_proj(x).view(B, T, H, D)).transpose(1, 2)
        k = self.k_norm(self.k_proj(x).view(B, T, KV, D)).transpose(1, 2)
        v = self.v_proj(x).view(B, T, KV, D).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        if KV != H:  # grouped-query: query head h reads kv head h // (H / KV)
            k = k[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
            v = v[:, :, None].expand(B, KV, H // KV, T, D).reshape(B, H, T, D)
        if hasattr(F, "scaled_dot_product_attention"):
            o = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            # One pass over the (B*H, T, T) scores: baddbmm adds the -inf causal bias and
            # applies the scale inside the matmul, where separate mul / masked_fill would each
            # stream the scores through memory again (they dominated on CPU).
            bias = causal_mask.to(q.dtype)[None].expand(B * H, T, T)
            s = torch.baddbmm(bias, q.reshape(B * H, T, D), k.reshape(B * H, T, D).transpose(1, 2),
                              alpha=1.0 / math.sqrt(D))
            o = torch.bmm(torch.softmax(s.float(), dim=-1).to(v.dtype), v.reshape(B * H, T, D)).view(B, H, T, D)
        return self.o_proj(o.transpose(1, 2).reshape(B, T, H * D))


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        E, F_ = cfg.hidden_size, cfg.intermediate_size
        self.gate_proj = nn.Linear(E, F_, bias=False)
        self.up_proj = nn.Linear(E, F_, bias=False)
        self.down_proj = nn.Linear(F_, E, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, causal_mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, causal_mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Qwen3Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg) for _ in range(cfg.num_hidden_layers)])
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class Qwen3ForCausalLM(nn.Module):
    """forward(ids) -> logits; hidden(ids) -> final-normed hidden states; logits_of(h) applies
    the (tied) lm_head, so that training can project only the positions it scores."""

    def __init__(self, cfg):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        self.model = Qwen3Model(cfg)
        self.lm_head = None if cfg.tie_word_embeddings else nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        self._rope = None
        self.reset_parameters()

    def reset_parameters(self, std=0.02):
        """Normal(0, std) matrices, residual output projections scaled by 1/sqrt(2 * layers)
        (GPT-2), norms at 1."""
        out_std = std / math.sqrt(2 * self.cfg.num_hidden_layers)
        for name, p in self.named_parameters():
            if p.dim() == 1:
                nn.init.ones_(p)
            elif name.endswith("o_proj.weight") or name.endswith("down_proj.weight"):
                nn.init.normal_(p, 0.0, out_std)
            else:
                nn.init.normal_(p, 0.0, std)

    def _rope_for(self, T, device):
        if self._rope is None or self._rope[0].shape[0] < T or self._rope[0].device != device:
            n = max(T, 64)
            cos, sin = rope_tables(self.cfg, n, device)
            mask = torch.full((n, n), float("-inf"), device=device).triu(1)  # additive causal bias
            self._rope = (cos, sin, mask)
        cos, sin, mask = self._rope
        return cos[:T], sin[:T], mask[:T, :T]

    def hidden(self, ids):
        """ids: (B, T) int64 -> (B, T, hidden) after the final norm. Every row starts at
        position 0; attention is causal, so right padding never affects earlier positions."""
        T = ids.shape[1]
        cos, sin, mask = self._rope_for(T, ids.device)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin, mask)
        return self.model.norm(x)

    def logits_of(self, h):
        w = self.model.embed_tokens.weight if self.lm_head is None else self.lm_head.weight
        return F.linear(h, w)

    def forward(self, ids):
        return self.logits_of(self.hidden(ids))
