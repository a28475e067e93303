#!/usr/bin/python3
"""End-to-end test of training/: model.py, train.py and export.py against the engine.

On a tiny Qwen3 (vocab 320 from a small byte-level BPE tokenizer, 2 layers, hidden 128, 4 query
heads x 64 = 256 != hidden, 2 KV heads) and synthetic data whose next token is a fixed
permutation of the previous one (learnable in a few steps):

  1. masked_loss scores exactly the weight > 0 targets, weighted, and right padding changes nothing;
  2. train.py lowers the training loss, and a run stopped by SIGINT (checkpoint on signal) and
     resumed with --resume continues at the next step and ends with the same weights as an
     uninterrupted run (optimizer state, data position and schedule all restored);
  3. export.py's folder, converted by `qwenlayer convert` to F32 (and Q8_0, and read directly as
     a BF16 Hugging Face folder), gives `qwenlayer logits` equal to the torch forward (float64)
     of the same weights: rel = max|engine - torch| / max|torch| within F32 rounding and the same
     argmax, for the trained model and for a random model with O(1) activations where attention,
     q_norm/k_norm and RoPE all matter; a torch forward with interleaved (GPT-J) RoPE instead of
     rotate-half must differ from the engine, which shows that the comparison can fail.

    model_test.py --qwenlayer build/qwenlayer [--work DIR] [--keep]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TRAINING = os.path.join(ROOT, "training")
sys.path.insert(0, TRAINING)
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))

import train  # noqa: E402  (sets the BLAS environment before torch loads)
import export  # noqa: E402
import model as qmodel  # noqa: E402
import make_tiny_model  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

PY = "/usr/bin/python3"
SIZE = ["--hidden", "128", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--head-dim", "64", "--ffn", "256"]
TRAIN_OPTS = ["--lr", "1e-2", "--warmup", "0.1", "--batch-tokens", "1024", "--minutes", "30", "--log-seconds", "0",
              "--eval-minutes", "1000", "--ckpt-minutes", "1000", "--threads", "2", "--seed", "3"]
STEPS = 24
TOKEN_SEQS = [
    [5, 17, 200, 33, 280, 101, 7, 64, 64, 64, 12, 250, 3, 99, 150, 42, 8, 300, 1, 2, 77, 66, 55, 44, 33, 22, 11,
     260, 270, 280, 290, 100, 0, 4, 9, 16, 25, 36, 49, 81],
    [318, 317, 316, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20],
    [42] * 3 + list(range(100, 160, 3)),
]

failures = []


def check(ok, what):
    print("%s %s" % ("ok  " if ok else "FAIL", what), flush=True)
    if not ok:
        failures.append(what)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (" ".join(cmd), r.returncode, r.stdout, r.stderr[-4000:]))
    return r


def write_tokenizer(tok_dir):
    tok, n_tok = make_tiny_model.make_tokenizer(60)
    os.makedirs(tok_dir, exist_ok=True)
    with open(os.path.join(tok_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)
    template = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
                "{% endif %}")
    with open(os.path.join(tok_dir, "tokenizer_config.json"), "w") as f:
        json.dump({"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>", "bos_token": None,
                   "add_bos_token": False, "chat_template": template}, f, indent=2)
    return n_tok


def write_data(data_dir, n_tok):
    """Sequences that follow next = perm[prev]; masks with ~30% zeros, some sequences without
    any target (train.py drops those)."""
    rng = np.random.default_rng(7)
    perm = rng.permutation(n_tok)
    os.makedirs(data_dir, exist_ok=True)
    for name, count in (("train.jsonl", 300), ("valid.jsonl", 30)):
        with open(os.path.join(data_dir, name), "w") as f:
            for i in range(count):
                n = int(rng.integers(8, 120))
                ids = [int(rng.integers(0, n_tok))]
                for _ in range(n - 1):
                    ids.append(int(perm[ids[-1]]))
                mask = [int(x) for x in (rng.random(n) < 0.7)]
                if i % 50 == 7:
                    mask = [0] * n
                f.write(json.dumps({"ids": ids, "mask": mask}) + "\n")


def read_log(run_dir):
    with open(os.path.join(run_dir, "log.jsonl")) as f:
        return [json.loads(line) for line in f]


def test_loss(n_tok):
    torch.manual_seed(0)
    cfg = qmodel.Config(vocab_size=320, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                        num_attention_heads=4, num_key_value_heads=2, head_dim=16)
    m = qmodel.Qwen3ForCausalLM(cfg)
    m.reset_parameters(0.3)
    rng = np.random.default_rng(1)
    seqs = [rng.integers(0, n_tok, size=n).astype(np.int32) for n in (9, 17, 4)]
    # Loss weights as prepare.py writes them: 0 (not a target), 1, or a decision weight.
    masks = [rng.choice(np.array([0, 0, 1, 3], dtype=np.uint8), size=len(s)) for s in seqs]
    masks[2][1] = 3
    ids, tm = train.collate(seqs, masks, [0, 1, 2])
    with torch.no_grad():
        loss, n = train.masked_loss(m, ids, tm)
        total, weight, count = 0.0, 0.0, 0
        for s, mk in zip(seqs, masks):
            logits = m(torch.from_numpy(s.astype(np.int64))[None])[0]
            lp = torch.log_softmax(logits.double(), -1)
            for i in range(1, len(s)):
                if mk[i]:
                    total -= float(mk[i]) * float(lp[i - 1, int(s[i])])
                    weight += float(mk[i])
                    count += 1
    check(n == count, "masked_loss counts the weight > 0 targets after position 0 (%d == %d)" % (n, count))
    check(abs(float(loss) - total / weight) < 1e-5,
          "masked_loss equals the per-sequence unpadded cross entropy, weighted (%.6f vs %.6f)" %
          (float(loss), total / weight))


def train_runs(work, data, tok_dir):
    """Interrupted + resumed run and an uninterrupted one; returns the resumed run's folder."""
    base = [PY, os.path.join(TRAINING, "train.py"), "--data", data, "--tokenizer", tok_dir] + SIZE + TRAIN_OPTS
    full = os.path.join(work, "run-full")
    t0 = time.time()
    run(base + ["--out", full, "--max-steps", str(STEPS)])
    print("     uninterrupted run of %d steps: %.1f s" % (STEPS, time.time() - t0), flush=True)

    part = os.path.join(work, "run-resumed")
    p = subprocess.Popen(base + ["--out", part, "--max-steps", str(STEPS)], stderr=subprocess.PIPE, text=True)
    sent = False
    lines = []
    for line in p.stderr:
        lines.append(line)
        if not sent and line.startswith("step 8 "):
            p.send_signal(signal.SIGINT)
            sent = True
    rc = p.wait()
    check(sent and rc == 130, "SIGINT stops train.py with status 130 (sent=%s, rc=%s)" % (sent, rc))
    log = read_log(part)
    ck = [e for e in log if e["kind"] == "checkpoint"]
    stopped = ck[-1]["step"] if ck else -1
    check(bool(ck) and ck[-1]["reason"].startswith("signal") and 8 <= stopped < STEPS,
          "the signal saved a checkpoint (at step %d)" % stopped)
    if not ck:
        print("".join(lines[-20:]))
        return part, full

    run(base + ["--out", part, "--max-steps", str(STEPS), "--resume"])
    log = read_log(part)
    starts = [e for e in log if e["kind"] == "start"]
    steps_after = [e["step"] for e in log[log.index(starts[-1]):] if e["kind"] == "train"]
    check(len(starts) == 2 and starts[-1]["step"] == stopped, "--resume starts from the checkpoint's step")
    check(steps_after and steps_after[0] == stopped + 1 and steps_after[-1] == STEPS,
          "--resume continues the step count (%s..%s)" % (steps_after[:1], steps_after[-1:]))

    losses = [e["last_loss"] for e in log if e["kind"] == "train"]
    first, last = np.mean(losses[:3]), np.mean(losses[-3:])
    check(last < first - 1.5, "training loss drops (first 3 steps %.3f, last 3 %.3f)" % (first, last))
    valid = [e for e in log if e["kind"] == "valid"]
    check(bool(valid) and valid[-1]["acc"] > 0.3,
          "validation ran at the end (loss %.3f, acc %.3f)" % (valid[-1]["loss"], valid[-1]["acc"]) if valid
          else "validation ran at the end")

    a = torch.load(os.path.join(full, "checkpoint.pt"), map_location="cpu")
    b = torch.load(os.path.join(part, "checkpoint.pt"), map_location="cpu")
    diff = max(float((a["model"][k] - b["model"][k]).abs().max()) for k in a["model"])
    check(a["step"] == b["step"] == STEPS and diff < 1e-5,
          "interrupted + resumed run ends with the uninterrupted run's weights (max diff %.2e)" % diff)
    return part, full


def torch_logits(run_dir, tokens, bf16=False, interleaved_rope=False):
    state = torch.load(os.path.join(run_dir, "checkpoint.pt"), map_location="cpu")
    cfg = qmodel.Config.from_dict(state["config"])
    m = qmodel.Qwen3ForCausalLM(cfg)
    sd = state["model"]
    if bf16:
        sd = {k: torch.from_numpy((export.to_bf16_bits(v.float().numpy()).astype(np.uint32) << 16).view(np.float32))
              for k, v in sd.items()}
    m.load_state_dict(sd)
    m.double()
    saved = qmodel.apply_rope
    if interleaved_rope:
        def gptj(x, cos, sin):
            half = x.shape[-1] // 2
            c, s = cos[:, :half].repeat_interleave(2, -1), sin[:, :half].repeat_interleave(2, -1)
            x1, x2 = x[..., 0::2], x[..., 1::2]
            rot = torch.stack([-x2, x1], -1).flatten(-2)
            return x * c.to(x.dtype) + rot * s.to(x.dtype)
        qmodel.apply_rope = gptj
    try:
        with torch.no_grad():
            return m(torch.tensor([tokens]))[0].numpy()
    finally:
        qmodel.apply_rope = saved


def engine_logits(qwenlayer, model_path, tokens, n_vocab):
    r = run([qwenlayer, "logits", "-m", model_path, "--tokens", ",".join(map(str, tokens)), "--top", str(n_vocab),
             "--kv-type", "f32", "-t", "2"])
    j = json.loads(r.stdout)
    assert j["tokens"] == tokens, "engine read different tokens"
    out = np.zeros((len(tokens), n_vocab))
    for t, p in enumerate(j["positions"]):
        out[t, p["ids"]] = p["logits"]
    return out


def compare(qwenlayer, label, run_dir, model_path, bound, bf16=False):
    n_vocab = torch.load(os.path.join(run_dir, "checkpoint.pt"), map_location="cpu")["config"]["vocab_size"]
    worst, top1 = 0.0, True
    for tokens in TOKEN_SEQS:
        ref = torch_logits(run_dir, tokens, bf16=bf16)
        got = engine_logits(qwenlayer, model_path, tokens, n_vocab)
        worst = max(worst, float(np.max(np.abs(got - ref)) / np.max(np.abs(ref))))
        # Argmax must agree wherever the reference's top two are not within the error bound.
        srt = np.sort(ref, axis=1)
        clear = (srt[:, -1] - srt[:, -2]) > 4 * bound * np.max(np.abs(ref))
        top1 = top1 and bool(np.all((np.argmax(got, 1) == np.argmax(ref, 1))[clear]))
    check(worst < bound and top1, "%s: engine vs torch rel %.2e (bound %.0e), argmax %s" %
          (label, worst, bound, "equal" if top1 else "DIFFERS"))
    return worst


def strong_random_run(work, trained_run):
    """A checkpoint with the trained run's config and O(1)-activation random weights."""
    state = torch.load(os.path.join(trained_run, "checkpoint.pt"), map_location="cpu")
    g = torch.Generator().manual_seed(5)
    sd = {}
    for k, v in state["model"].items():
        if v.dim() == 1:
            sd[k] = 1.0 + 0.1 * torch.randn(v.shape, generator=g)
        elif "embed" in k:
            sd[k] = 0.5 * torch.randn(v.shape, generator=g)
        else:
            sd[k] = torch.randn(v.shape, generator=g) / v.shape[1] ** 0.5
    d = os.path.join(work, "run-random")
    os.makedirs(d, exist_ok=True)
    torch.save({"config": state["config"], "model": sd}, os.path.join(d, "checkpoint.pt"))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwenlayer", required=True)
    ap.add_argument("--work", help="scratch folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(2)
    work = a.work or tempfile.mkdtemp(prefix="qwl-training-")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    try:
        tok_dir = os.path.join(work, "tokenizer")
        n_tok = write_tokenizer(tok_dir)
        data = os.path.join(work, "data")
        write_data(data, n_tok)

        test_loss(n_tok)
        trained, _ = train_runs(work, data, tok_dir)

        random_run = strong_random_run(work, trained)
        for label, run_dir in (("trained", trained), ("random", random_run)):
            hf = os.path.join(work, "hf-" + label)
            run([PY, os.path.join(TRAINING, "export.py"), "--run", run_dir, "--tokenizer", tok_dir, "--out", hf])
            for fn in ("tokenizer.json", "tokenizer_config.json", "config.json", "generation_config.json",
                       "model.safetensors"):
                check(os.path.isfile(os.path.join(hf, fn)), "%s: export wrote %s" % (label, fn))
            gguf = os.path.join(work, label + "-f32.gguf")
            run([a.qwenlayer, "convert", hf, "-o", gguf, "--type", "f32", "-t", "2"])
            compare(a.qwenlayer, label + "/f32", run_dir, gguf, 1e-4)
            q8 = os.path.join(work, label + "-q8_0.gguf")
            run([a.qwenlayer, "convert", hf, "-o", q8, "--type", "q8_0", "-t", "2"])
            compare(a.qwenlayer, label + "/q8_0", run_dir, q8, 5e-2)
            hf16 = os.path.join(work, "hf-%s-bf16" % label)
            run([PY, os.path.join(TRAINING, "export.py"), "--run", run_dir, "--tokenizer", tok_dir, "--out", hf16,
                 "--dtype", "bf16"])
            compare(a.qwenlayer, label + "/bf16 folder", run_dir, hf16, 2e-2, bf16=True)

        # The comparison must be able to fail: a rotary layout mistake is visible.
        gguf = os.path.join(work, "random-f32.gguf")
        got = engine_logits(a.qwenlayer, gguf, TOKEN_SEQS[0], 320)
        wrong = torch_logits(random_run, TOKEN_SEQS[0], interleaved_rope=True)
        rel = float(np.max(np.abs(got - wrong)) / np.max(np.abs(wrong)))
        check(rel > 1e-2, "an interleaved-RoPE torch forward differs from the engine (rel %.2e)" % rel)
    except RuntimeError as e:
        failures.append(str(e))
        print("FAIL %s" % e)
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
