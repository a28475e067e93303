#!/usr/bin/python3
"""Checks the engine's logits against the numpy reference forward (qwen_ref.py).

For Qwen2 and Qwen3 tiny random-weight models it makes Hugging Face folders (F32, BF16,
sharded), converts them with `qwenlayer convert` to every GGUF type we write, and compares
`qwenlayer logits` (all positions, full vocabulary, F32 KV cache) with the reference run on the
same weights (the reference dequantizes GGUF files itself). The error measure per model is

    rel = max |engine - reference| / max |reference|     over all positions and tokens

and each type has a bound (BOUNDS below, justified in docs/CORRECTNESS.md). Exit status 0 when
every case is within its bound; a table of the measured errors is printed either way.

    check_logits.py --qwenlayer build/qwenlayer --work /tmp/logits-check [--keep]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import qwen_ref  # noqa: E402

# Relative-error bounds per weight type. F32 is exact arithmetic up to float32 rounding. The
# others follow llama.cpp's arithmetic: activations are rounded to the type's vec_dot partner
# (F16: 11-bit mantissa, BF16: 8-bit, Q8_0/Q8_K: 8-bit integers per block) before each matmul,
# while the reference keeps them in float64; the bounds are ~3x the errors measured on these
# models (docs/CORRECTNESS.md).
BOUNDS = {"hf": 1e-4, "f32": 1e-4, "f16": 3e-3, "bf16": 2e-2, "q8_0": 5e-2, "q4_0": 5e-2, "q4_k_m": 5e-2}

TOKENS = [5, 17, 200, 33, 280, 101, 7, 64, 64, 64, 12, 250, 3, 99, 150, 42, 8, 300, 1, 2,
          77, 66, 55, 44, 33, 22, 11, 260, 270, 280, 290, 100, 0, 4, 9, 16, 25, 36, 49, 81]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), r.returncode, r.stderr))
    return r.stdout


def engine_logits(qwenlayer, model, n_vocab):
    out = run([qwenlayer, "logits", "-m", model, "--tokens", ",".join(map(str, TOKENS)),
               "--top", str(n_vocab), "--kv-type", "f32", "-t", "2"])
    j = json.loads(out)
    assert j["tokens"] == TOKENS, "engine read different tokens"
    logits = np.zeros((len(TOKENS), n_vocab))
    for t, p in enumerate(j["positions"]):
        logits[t, p["ids"]] = p["logits"]
    return logits


def compare(qwenlayer, model, label, results):
    hp, W = qwen_ref.load(model)
    ref = qwen_ref.forward(hp, W, TOKENS)
    got = engine_logits(qwenlayer, model, ref.shape[1])
    rel = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
    top1 = float(np.mean(np.argmax(got, axis=1) == np.argmax(ref, axis=1)))
    # Diagnostic: against a reference that rounds activations exactly as the engine does, a
    # position matches to float32 precision unless float32 and float64 put some activation on
    # different sides of a rounding boundary (a "flip", which also shifts every later position
    # through the KV cache). Count the positions that match within 1e-5.
    rounded = qwen_ref.forward(hp, W, TOKENS, engine_rounding=True)
    per_pos = np.max(np.abs(got - rounded), axis=1) / np.max(np.abs(rounded))
    exact = int(np.sum(per_pos < 1e-5))
    kind = label.split("/")[-1]
    results.append((label, rel, BOUNDS[kind], top1, exact, rel <= BOUNDS[kind]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwenlayer", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    results = []
    for arch in ("qwen2", "qwen3"):
        for variant, extra in (("f32", []), ("bf16-sharded-untied", ["--dtype", "bf16", "--shards", "3", "--untied"])):
            hf = os.path.join(a.work, "%s-%s" % (arch, variant))
            run(["/usr/bin/python3", os.path.join(HERE, "make_tiny_model.py"), hf, "--arch", arch] + extra)
            compare(a.qwenlayer, hf, "%s/%s/%s" % (arch, variant, "hf" if variant == "f32" else "bf16"), results)
            types = ["f32", "f16", "bf16", "q8_0", "q4_0", "q4_k_m"] if variant == "f32" else ["f16", "q4_k_m"]
            for t in types:
                gguf = os.path.join(a.work, "%s-%s-%s.gguf" % (arch, variant, t))
                run([a.qwenlayer, "convert", hf, "-o", gguf, "--type", t, "-t", "2"])
                compare(a.qwenlayer, gguf, "%s/%s/%s" % (arch, variant, t), results)
    print("%-34s %10s %8s %5s %7s" % ("model", "rel error", "bound", "top1", "exact*"))
    for label, rel, bound, top1, exact, ok in results:
        print("%-34s %10.2e %8.0e %5.2f %4d/%d %s" % (label, rel, bound, top1, exact, len(TOKENS),
                                                     "ok" if ok else "FAIL"))
    print("* positions within 1e-5 of a reference that rounds activations as the engine does")
    failed = [r for r in results if not r[5]]
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    if not a.keep:
        shutil.rmtree(a.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
