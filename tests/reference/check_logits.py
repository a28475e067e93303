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
BOUNDS = {"hf": 1e-4, "f32": 1e-4, "f16": 3e-3, "bf16": 2e-2, "q8_0": 3e-2, "q4_0": 3e-2, "q4_k_m": 3e-2}

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
    kind = label.split("/")[-1].split(" ")[0]
    ok = rel <= BOUNDS[kind]
    results.append((label, rel, BOUNDS[kind], top1, ok))


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
    print("%-34s %12s %10s %6s" % ("model", "rel error", "bound", "top1"))
    for label, rel, bound, top1, ok in results:
        print("%-34s %12.3e %10.1e %6.2f %s" % (label, rel, bound, top1, "ok" if ok else "FAIL"))
    failed = [r for r in results if not r[4]]
    print("%d passed, %d failed" % (len(results) - len(failed), len(failed)))
    if not a.keep:
        shutil.rmtree(a.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
