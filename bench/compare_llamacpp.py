#!/usr/bin/python3
"""Side-by-side speed of qwenlayer and llama.cpp on the same GGUF files and thread count.

Runs `qwenlayer bench --json` and `llama-bench -o json` in interleaved rounds (ours, peer,
ours, peer, ...), because this shared machine drifts by more than the differences being
measured, and reports per test the median tokens/s of each and the median of the per-round
ratios. llama.cpp is not built by this project: pass the path of a llama-bench you built
yourself (see docs/PERFORMANCE.md).

    compare_llamacpp.py --qwenlayer build/qwenlayer --llama-bench /path/to/llama-bench \\
        -m model.gguf [-m other.gguf] -p 512 -n 128 -d 0,1024 -t 2 --rounds 5 [--json out.json]
"""
import argparse
import json
import statistics
import subprocess
import sys


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("%s failed:\n%s" % (" ".join(cmd), r.stderr[-3000:]))
    return json.loads(r.stdout)


def key(row):
    return (row["n_prompt"], row["n_gen"], row["n_depth"])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qwenlayer", required=True)
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("-m", "--model", action="append", required=True)
    ap.add_argument("-p", default="512")
    ap.add_argument("-n", default="128")
    ap.add_argument("-d", default="0")
    ap.add_argument("-t", default="2")
    ap.add_argument("-r", default="1", help="repetitions inside each run")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", help="write all samples here")
    a = ap.parse_args()

    report = []
    for model in a.model:
        ours, peer = {}, {}
        for rnd in range(a.rounds):
            for row in run_json([a.qwenlayer, "bench", "-m", model, "-p", a.p, "-n", a.n, "-d", a.d,
                                 "-t", a.t, "-r", a.r, "--json"]):
                ours.setdefault(key(row), []).append(row["avg_ts"])
            for row in run_json([a.llama_bench, "-m", model, "-p", a.p, "-n", a.n, "-d", a.d,
                                 "-t", a.t, "-r", a.r, "-o", "json"]):
                peer.setdefault(key(row), []).append(row["avg_ts"])
            print("round %d/%d done: %s" % (rnd + 1, a.rounds, model), file=sys.stderr)
        for k in sorted(ours):
            if k not in peer:
                continue
            ratios = [o / p for o, p in zip(ours[k], peer[k])]
            test = ("pp%d" % k[0] if k[0] else "tg%d" % k[1]) + (" @ d%d" % k[2] if k[2] else "")
            report.append({"model": model, "test": test, "ours_ts": statistics.median(ours[k]),
                           "peer_ts": statistics.median(peer[k]), "ratio": statistics.median(ratios),
                           "ours_samples": ours[k], "peer_samples": peer[k]})
            r = report[-1]
            # Each model's rows as soon as they are known: a long run interrupted keeps them.
            print("%s %s: ours %.1f, peer %.1f, ratio %.2f" % (model.split("/")[-1], test,
                  r["ours_ts"], r["peer_ts"], r["ratio"]), file=sys.stderr, flush=True)
    print("| model | test | qwenlayer t/s | llama.cpp t/s | ratio (median of rounds) |")
    print("|---|---|---:|---:|---:|")
    for r in report:
        print("| %s | %s | %.1f | %.1f | %.2f |" % (r["model"].split("/")[-1], r["test"], r["ours_ts"],
                                                  r["peer_ts"], r["ratio"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
