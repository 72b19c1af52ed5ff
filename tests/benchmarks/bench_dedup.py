"""Benchmark: near-duplicate clustering vs exact all-pairs (R7.3). Run as a script:

    .venv/bin/python tests/benchmarks/bench_dedup.py [--sizes 20000,100000] [--sample 1500]

The exact all-pairs baseline is measured in the same run on a sample and extrapolated by the
number of pairs; recall/precision are measured against exact all-pairs on a sample where the
exact run is affordable.
"""

from __future__ import annotations

import argparse
import time

from tasks.common.dedup import cluster_keys, cluster_keys_exact, idea_key, pair_recall
from tasks.samples.ideas import generate_ideas


def keys_for(count: int, seed: int) -> list[str]:
    ideas = generate_ideas(count=count, communities=["嘉兴一居委"], year=2026, seed=seed)
    return [idea_key(i.title, i.content) for i in ideas]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="20000,100000")
    parser.add_argument("--sample", type=int, default=1500)
    parser.add_argument("--recall-size", type=int, default=3000)
    args = parser.parse_args()

    sample = keys_for(args.sample, seed=1)
    started = time.perf_counter()
    cluster_keys_exact(sample)
    exact_seconds = time.perf_counter() - started
    pairs = args.sample * (args.sample - 1) / 2
    rate = pairs / exact_seconds
    print(f"exact all-pairs baseline: {pairs:,.0f} pairs in {exact_seconds:.2f} s = {rate:,.0f}/s")

    keys = keys_for(args.recall_size, seed=2)
    fast, exact = cluster_keys(keys), cluster_keys_exact(keys)
    recall, precision = pair_recall(fast.clusters, exact.clusters)
    same = fast.clusters == exact.clusters
    print(f"on {args.recall_size}: recall {recall:.4f}, precision {precision:.4f}, equal {same}")

    print(f"{'ideas':>8} {'seconds':>8} {'exact (est.)':>13} {'speed-up':>9} {'verified':>10}")
    for size in (int(s) for s in args.sizes.split(",")):
        keys = keys_for(size, seed=3)
        started = time.perf_counter()
        result = cluster_keys(keys)
        seconds = time.perf_counter() - started
        estimate = size * (size - 1) / 2 / rate
        print(
            f"{size:>8} {seconds:>8.2f} {estimate:>12.0f}s {estimate / seconds:>8.0f}x "
            f"{result.stats.verified:>10,}"
        )


if __name__ == "__main__":
    main()
