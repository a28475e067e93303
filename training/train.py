#!/usr/bin/python3
"""Trains qwenlayer's small default model (model.py's Qwen3) from scratch on CPU within a time budget.

    /usr/bin/python3 training/train.py --data DIR --out RUN_DIR [--minutes 60] [--resume]
        [--tokenizer TOKDIR | --vocab N] [--hidden 256 --layers 6 --heads 4 --kv-heads 2
        --ffn 768 --head-dim 64] [--lr 2e-3] [--batch-tokens 4096] [--threads 2] [--bf16]

Data: DIR/train.jsonl and DIR/valid.jsonl, one {"ids": [...], "mask": [...]} per line; mask[i]
is the loss weight of token i as a training target (predicted from positions < i): 0 for none,
1 for most, more for the tokens that carry a decision (prepare.py); mask[0] is ignored.
Sequences are truncated to --max-len and batched by length (a batch holds at most
--batch-tokens padded positions; right padding is harmless under causal attention and never a
target). The loss is the weighted mean cross entropy over a batch's targets; only target
positions go through the lm_head. Validation reports the unweighted loss, the next-token accuracy
and the accuracy on the decision tokens (weight above 1).

Optimizer and schedule: AdamW (betas 0.9/0.95, weight decay on matrices only), gradient clipping,
linear warmup over the first --warmup fraction of the budget then cosine decay to --min-lr of the
peak. Progress is elapsed wall time / (--minutes), so the run ends on time whatever the speed
(validation and checkpoint time count too); --max-steps, when given, also ends it and drives the
schedule by steps if that is further along (tests).

Output in RUN_DIR: checkpoint.pt (model, optimizer, step, elapsed time, data position, rng;
written atomically every --ckpt-minutes, at the end and on Ctrl-C / SIGTERM), config.json
(the model's Hugging Face config fields), log.jsonl (every progress line as JSON: kind "train",
"valid", "checkpoint", "start", "end"). --resume continues from checkpoint.pt with its model
size, hyperparameters, data order and remaining time budget (a --minutes given with --resume
replaces the budget). Progress lines go to stderr every --log-seconds.

Exit status: 0 when the budget or step limit is reached, 130 when stopped by a signal (after
saving), 2 for bad arguments or data (the message names the file and line).
"""
import argparse
import dataclasses
import json
import math
import os
import random
import signal
import sys
import time


def _cpu_environment(threads):
    """Settings that must precede `import torch` (the BLAS reads them when it loads)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    # Debian's OpenBLAS 0.3.21 does not recognise Sapphire Rapids and falls back to its generic
    # "Prescott" SSE3 kernels (3x slower sgemm here); name the closest core it knows.
    if "OPENBLAS_CORETYPE" not in os.environ:
        if "avx512_bf16" in flags:
            os.environ["OPENBLAS_CORETYPE"] = "Cooperlake"
        elif "avx512f" in flags:
            os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"
        elif "avx2" in flags:
            os.environ["OPENBLAS_CORETYPE"] = "Haswell"
    # oneDNN 2.6's AMX kernels die with SIGILL (tilezero) on this VM although the CPU flags
    # list AMX; its AVX-512 BF16 kernels work.
    if "amx_tile" in flags:
        os.environ.setdefault("DNNL_MAX_CPU_ISA", "AVX512_CORE_BF16")
    # torch's OpenMP threads spin after each parallel region while OpenBLAS's own pthreads run
    # the GEMMs: on 2 cores that oversubscription made the tiny test model's steps 15x slower.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(threads))
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))


def _threads_from_argv():
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--threads", type=int, default=2)
    return p.parse_known_args()[0].threads


_cpu_environment(_threads_from_argv() if __name__ == "__main__" else 2)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import Config, Qwen3ForCausalLM  # noqa: E402

CHECKPOINT = "checkpoint.pt"


class DataError(Exception):
    pass


# ----------------------------------------------------------------------------- data

def load_jsonl(path, vocab_size, max_len):
    """Returns (list of int32 id arrays, list of uint8 target-weight arrays, stats). Sequences with
    no target after position 0 are dropped; longer ones are truncated to max_len."""
    seqs, masks = [], []
    stats = {"lines": 0, "dropped": 0, "truncated": 0}
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise DataError("%s: %s" % (path, e.strerror))
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            stats["lines"] += 1
            try:
                rec = json.loads(line)
                ids, mask = rec["ids"], rec["mask"]
            except (ValueError, KeyError, TypeError) as e:
                raise DataError("%s:%d: expected {\"ids\": [...], \"mask\": [...]} (%s)" % (path, n, e))
            if not isinstance(ids, list) or not isinstance(mask, list) or len(ids) != len(mask):
                raise DataError("%s:%d: \"ids\" and \"mask\" must be lists of equal length" % (path, n))
            a = np.asarray(ids, dtype=np.int64)
            m = np.asarray(mask, dtype=np.int64)
            if a.size and (a.min() < 0 or (vocab_size and a.max() >= vocab_size)):
                raise DataError("%s:%d: \"ids\" has a token outside [0, %d)" % (path, n, vocab_size))
            if m.size and (m.min() < 0 or m.max() > 255):
                raise DataError("%s:%d: \"mask\" values must be loss weights from 0 to 255" % (path, n))
            if a.size > max_len:
                a, m = a[:max_len], m[:max_len]
                stats["truncated"] += 1
            if a.size < 2 or not m[1:].any():
                stats["dropped"] += 1
                continue
            seqs.append(a.astype(np.int32))
            masks.append(m.astype(np.uint8))
    return seqs, masks, stats


def make_batches(lengths, batch_tokens, seed, epoch):
    """An epoch's batches (arrays of sequence indices), deterministic in (seed, epoch): shuffle,
    sort windows of ~64 batches by length so each batch pads little, then shuffle the batches."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    mean_len = max(1.0, float(np.mean(lengths)))
    window = max(1, int(64 * batch_tokens / mean_len))
    batches = []
    for s in range(0, len(order), window):
        chunk = order[s:s + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        cur, cur_max = [], 0
        for i in chunk:
            new_max = max(cur_max, int(lengths[i]))
            if cur and new_max * (len(cur) + 1) > batch_tokens:
                batches.append(np.array(cur))
                cur, new_max = [], int(lengths[i])
            cur.append(i)
            cur_max = new_max
        if cur:
            batches.append(np.array(cur))
    perm = rng.permutation(len(batches))
    return [batches[i] for i in perm]


def collate(seqs, masks, idx):
    """(ids (R, L) int64 zero-padded, target weights (R, L) float32 with padding 0)."""
    L = max(len(seqs[i]) for i in idx)
    ids = np.zeros((len(idx), L), dtype=np.int64)
    tm = np.zeros((len(idx), L), dtype=np.float32)
    for r, i in enumerate(idx):
        ids[r, :len(seqs[i])] = seqs[i]
        tm[r, :len(masks[i])] = masks[i]
    return torch.from_numpy(ids), torch.from_numpy(tm)


# ----------------------------------------------------------------------------- loss

def masked_loss(model, ids, target_weights, bf16=False, with_accuracy=False):
    """Cross entropy of predicting ids[:, i] from positions < i, averaged over the targets
    (target_weights[:, i] > 0, i >= 1) with those weights, and the number of targets. Only target
    positions are projected to the vocabulary. With with_accuracy: (unweighted mean loss, targets,
    right argmaxes, decision targets (weight > 1), right argmaxes among them)."""
    inputs, targets, tw = ids[:, :-1], ids[:, 1:], target_weights[:, 1:]
    tm = tw > 0
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        h = model.hidden(inputs)
        logits = model.logits_of(h[tm])
    logits = logits.float()
    y = targets[tm]
    w = tw[tm]
    if with_accuracy:
        right = logits.argmax(-1) == y
        decision = w > 1
        return (F.cross_entropy(logits, y), int(y.numel()), int(right.sum()), int(decision.sum()),
                int((right & decision).sum()))
    ce = F.cross_entropy(logits, y, reduction="none")
    return (ce * w).sum() / w.sum(), int(y.numel())


def evaluate(model, seqs, masks, batch_tokens, bf16):
    """(mean loss per target token, accuracy, accuracy on the decision tokens) over the given
    sequences."""
    model.eval()
    total, n, correct, n_dec, correct_dec = 0.0, 0, 0, 0, 0
    lengths = np.array([len(s) for s in seqs])
    order = np.argsort(lengths, kind="stable")
    with torch.no_grad():
        s = 0
        while s < len(order):
            e = s + 1
            while e < len(order) and lengths[order[e]] * (e - s + 1) <= batch_tokens:
                e += 1
            ids, tm = collate(seqs, masks, order[s:e])
            loss, k, c, kd, cd = masked_loss(model, ids, tm, bf16, with_accuracy=True)
            total += float(loss) * k
            n += k
            correct += c
            n_dec += kd
            correct_dec += cd
            s = e
    model.train()
    return total / max(n, 1), correct / max(n, 1), correct_dec / max(n_dec, 1)


# ----------------------------------------------------------------------------- schedule

def lr_at(progress, a):
    """Peak a.lr after linear warmup over a.warmup of the run, cosine down to a.min_lr * peak."""
    if progress < a.warmup:
        return a.lr * max(progress / a.warmup, 0.01)
    t = min(1.0, (progress - a.warmup) / max(1e-9, 1.0 - a.warmup))
    return a.lr * (a.min_lr + (1.0 - a.min_lr) * 0.5 * (1.0 + math.cos(math.pi * t)))


def fmt_time(s):
    s = int(max(0, s))
    return "%d:%02d:%02d" % (s // 3600, s // 60 % 60, s % 60)


def fmt_count(n):
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= div:
            return "%.2f%s" % (n / div, unit)
    return str(n)


# ----------------------------------------------------------------------------- run state

def vocab_from_tokenizer(tok_dir):
    with open(os.path.join(tok_dir, "tokenizer.json"), encoding="utf-8") as f:
        tok = json.load(f)
    ids = list(tok["model"]["vocab"].values()) + [t["id"] for t in tok.get("added_tokens", [])]
    return (max(ids) + 1 + 63) // 64 * 64


def save_checkpoint(path, state):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        torch.save(state, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Logger:
    def __init__(self, run_dir):
        self.f = open(os.path.join(run_dir, "log.jsonl"), "a", encoding="utf-8")

    def __call__(self, kind, text, **fields):
        print(text, file=sys.stderr, flush=True)
        self.f.write(json.dumps(dict(kind=kind, time=round(time.time(), 3), **fields)) + "\n")
        self.f.flush()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="folder with train.jsonl and valid.jsonl")
    ap.add_argument("--out", required=True, help="run folder (checkpoint.pt, config.json, log.jsonl)")
    ap.add_argument("--minutes", type=float, help="time budget (default 60; with --resume: the checkpoint's)")
    ap.add_argument("--resume", action="store_true", help="continue from RUN_DIR/checkpoint.pt")
    g = ap.add_argument_group("model size (ignored with --resume)")
    g.add_argument("--tokenizer", help="tokenizer folder: vocab = its token count rounded up to 64")
    g.add_argument("--vocab", type=int, help="vocabulary rows (default: from --tokenizer, else the data)")
    g.add_argument("--hidden", type=int, default=256)
    g.add_argument("--layers", type=int, default=6)
    g.add_argument("--heads", type=int, default=4)
    g.add_argument("--kv-heads", type=int, default=2)
    g.add_argument("--ffn", type=int, default=768)
    g.add_argument("--head-dim", type=int, default=64)
    g.add_argument("--rope-theta", type=float, default=1000000.0)
    g.add_argument("--max-position", type=int, default=4096, help="max_position_embeddings in config.json")
    g.add_argument("--init-std", type=float, default=0.02)
    t = ap.add_argument_group("training (ignored with --resume, except --threads and logging)")
    t.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    t.add_argument("--min-lr", type=float, default=0.1, help="final lr as a fraction of the peak")
    t.add_argument("--warmup", type=float, default=0.03, help="warmup as a fraction of the run")
    t.add_argument("--wd", type=float, default=0.1, help="AdamW weight decay (matrices only)")
    t.add_argument("--clip", type=float, default=1.0, help="gradient norm clip")
    t.add_argument("--batch-tokens", type=int, default=4096, help="padded positions per batch")
    t.add_argument("--max-len", type=int, default=1024, help="truncate longer sequences")
    t.add_argument("--bf16", action="store_true", help="torch.autocast bfloat16 (slower than float32 with Debian's torch 1.13 here)")
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--max-steps", type=int, default=0, help="also stop after this many steps (0: none)")
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--eval-tokens", type=int, default=50000, help="validate on the first N tokens of valid.jsonl")
    t.add_argument("--log-seconds", type=float, default=20.0)
    t.add_argument("--eval-minutes", type=float, default=4.0)
    t.add_argument("--ckpt-minutes", type=float, default=5.0)
    return ap.parse_args(argv)


# Arguments a resumed run takes from the command line rather than the checkpoint.
LIVE_ARGS = ("data", "out", "resume", "threads", "log_seconds", "eval_minutes", "ckpt_minutes", "max_steps")


def main(argv=None):
    a = parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)  # tiny AdamW second moments must not hit the denormal slow path
    os.makedirs(a.out, exist_ok=True)
    ckpt_path = os.path.join(a.out, CHECKPOINT)

    state = None
    if a.resume:
        if not os.path.exists(ckpt_path):
            print("train.py: --resume: %s does not exist" % ckpt_path, file=sys.stderr)
            return 2
        state = torch.load(ckpt_path, map_location="cpu")
        saved = dict(state["args"])
        for k in LIVE_ARGS:
            saved[k] = getattr(a, k)
        if a.minutes is not None:
            saved["minutes"] = a.minutes
        a = argparse.Namespace(**saved)
        cfg = Config.from_dict(state["config"])
    else:
        if os.path.exists(ckpt_path):
            print("train.py: %s exists; pass --resume or another --out" % ckpt_path, file=sys.stderr)
            return 2
        if a.minutes is None:
            a.minutes = 60.0
        vocab = a.vocab or (vocab_from_tokenizer(a.tokenizer) if a.tokenizer else 0)
        cfg = Config(vocab_size=vocab, hidden_size=a.hidden, intermediate_size=a.ffn,
                     num_hidden_layers=a.layers, num_attention_heads=a.heads, num_key_value_heads=a.kv_heads,
                     head_dim=a.head_dim, rope_theta=a.rope_theta, max_position_embeddings=a.max_position)

    try:
        train_seqs, train_masks, st = load_jsonl(os.path.join(a.data, "train.jsonl"), cfg.vocab_size, a.max_len)
        valid_seqs, valid_masks, sv = load_jsonl(os.path.join(a.data, "valid.jsonl"), cfg.vocab_size, a.max_len)
    except DataError as e:
        print("train.py: %s" % e, file=sys.stderr)
        return 2
    if not train_seqs:
        print("train.py: %s has no sequence with a target" % os.path.join(a.data, "train.jsonl"), file=sys.stderr)
        return 2
    if cfg.vocab_size == 0:  # neither --vocab nor --tokenizer: fit the data
        top = max(int(s.max()) for s in train_seqs + valid_seqs)
        cfg.vocab_size = (top + 1 + 63) // 64 * 64
    # Validation on a fixed prefix of valid.jsonl so that numbers are comparable across the run.
    n_val, k = 0, 0
    while k < len(valid_seqs) and n_val < a.eval_tokens:
        n_val += len(valid_seqs[k])
        k += 1
    valid_seqs, valid_masks = valid_seqs[:k], valid_masks[:k]

    torch.manual_seed(a.seed)
    random.seed(a.seed)
    model = Qwen3ForCausalLM(cfg)
    if state is None:
        model.reset_parameters(a.init_std)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.95), eps=1e-8)
    step, elapsed, tokens, targets, epoch, batch_index, loss_ema = 0, 0.0, 0, 0, 0, 0, None
    if state is not None:
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step, elapsed, tokens, targets = state["step"], state["elapsed"], state["tokens"], state["targets"]
        epoch, batch_index, loss_ema = state["epoch"], state["batch_index"], state["loss_ema"]
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])
    with open(os.path.join(a.out, "config.json"), "w") as f:
        json.dump(dataclasses.asdict(cfg), f, indent=2)

    log = Logger(a.out)
    budget = a.minutes * 60.0
    n_params = sum(p.numel() for p in model.parameters())
    log("start", "train.py: %s %s params, %s layers x %d, vocab %d; %d train seqs (%s tokens, %d truncated, %d "
        "dropped), %d valid seqs; budget %s, %s done, step %d" %
        ("resume" if state else "start", fmt_count(n_params), cfg.num_hidden_layers, cfg.hidden_size,
         cfg.vocab_size, len(train_seqs), fmt_count(sum(len(s) for s in train_seqs)), st["truncated"],
         st["dropped"], len(valid_seqs), fmt_time(budget), fmt_time(elapsed), step),
        step=step, params=n_params, config=dataclasses.asdict(cfg), args=vars(a), elapsed=elapsed)

    def snapshot():
        return {"version": 1, "config": dataclasses.asdict(cfg), "args": vars(a), "model": model.state_dict(),
                "optim": opt.state_dict(), "step": step, "elapsed": elapsed, "tokens": tokens, "targets": targets,
                "epoch": epoch, "batch_index": batch_index, "loss_ema": loss_ema,
                "rng": {"torch": torch.get_rng_state(), "python": random.getstate()}}

    def checkpoint(reason):
        t0 = time.monotonic()
        save_checkpoint(ckpt_path, snapshot())
        log("checkpoint", "checkpoint %s (step %d, %s, %.1f s)" % (ckpt_path, step, reason, time.monotonic() - t0),
            step=step, elapsed=elapsed, reason=reason)

    def validate():
        if not valid_seqs:
            return
        vl, acc, dacc = evaluate(model, valid_seqs, valid_masks, a.batch_tokens, a.bf16)
        log("valid", "valid step %d | loss %.4f | ppl %.2f | acc %.4f | decisions %.4f | %s" %
            (step, vl, math.exp(min(vl, 50)), acc, dacc, fmt_time(elapsed)),
            step=step, loss=vl, acc=acc, decision_acc=dacc, tokens=tokens, elapsed=elapsed)

    stop = {"signal": None}

    def on_signal(signum, frame):
        if stop["signal"] is not None:  # a second Ctrl-C: give up at once
            raise KeyboardInterrupt
        stop["signal"] = signum
        print("train.py: signal %d, saving a checkpoint after this step (again to abort)" % signum,
              file=sys.stderr, flush=True)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    lengths = np.array([len(s) for s in train_seqs])
    batches = make_batches(lengths, a.batch_tokens, a.seed, epoch)
    session_start = time.monotonic()
    base_elapsed = elapsed
    last_log_t, last_log_tokens = session_start, tokens
    last_eval = elapsed
    last_ckpt = elapsed
    model.train()

    def progress():
        p = elapsed / budget if budget > 0 else 1.0
        if a.max_steps:
            p = max(p, step / a.max_steps)
        return p

    while progress() < 1.0 and stop["signal"] is None:
        if batch_index >= len(batches):
            epoch, batch_index = epoch + 1, 0
            batches = make_batches(lengths, a.batch_tokens, a.seed, epoch)
        ids, tm = collate(train_seqs, train_masks, batches[batch_index])
        lr = lr_at(progress(), a)
        for grp in opt.param_groups:
            grp["lr"] = lr
        loss, n_targets = masked_loss(model, ids, tm, a.bf16)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip))
        opt.step()
        step += 1
        batch_index += 1
        tokens += int(sum(len(train_seqs[i]) for i in batches[batch_index - 1]))
        targets += n_targets
        lv = float(loss)
        if not math.isfinite(lv):
            log("end", "train.py: loss is %s at step %d; stopping without saving" % (lv, step), step=step)
            return 1
        loss_ema = lv if loss_ema is None else 0.98 * loss_ema + 0.02 * lv
        now = time.monotonic()
        elapsed = base_elapsed + (now - session_start)
        if now - last_log_t >= a.log_seconds:
            tps = (tokens - last_log_tokens) / (now - last_log_t)
            p = progress()
            eta = budget - elapsed if not a.max_steps else (1 - p) * elapsed / max(p, 1e-9)
            log("train", "step %d | tok %s | loss %.4f | lr %.2e | gnorm %.2f | %.0f tok/s | %s / %s | eta %s" %
                (step, fmt_count(tokens), loss_ema, lr, gnorm, tps, fmt_time(elapsed), fmt_time(budget),
                 fmt_time(eta)),
                step=step, tokens=tokens, targets=targets, loss=loss_ema, last_loss=lv, lr=lr, gnorm=gnorm,
                tok_s=tps, elapsed=elapsed, eta=eta, epoch=epoch)
            last_log_t, last_log_tokens = now, tokens
        if elapsed - last_eval >= a.eval_minutes * 60:
            validate()
            last_eval = elapsed
        if elapsed - last_ckpt >= a.ckpt_minutes * 60:
            checkpoint("periodic")
            last_ckpt = elapsed
            elapsed = base_elapsed + (time.monotonic() - session_start)

    if stop["signal"] is not None:
        checkpoint("signal %d" % stop["signal"])
        return 130
    validate()
    checkpoint("end")
    log("end", "train.py: done: step %d, %s tokens (%s targets), %s" %
        (step, fmt_count(tokens), fmt_count(targets), fmt_time(elapsed)),
        step=step, tokens=tokens, targets=targets, elapsed=elapsed, loss=loss_ema)
    return 0


if __name__ == "__main__":
    sys.exit(main())
