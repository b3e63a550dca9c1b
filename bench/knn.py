"""Pairs per second of the top-K kernel against plain numpy used well and against the GEMM floor.

Sizes: 10k new x 10k history and 100k new x 10k history, 384-d unit vectors, K=5.
- kernel: ``podcast_assets.similarities.knn.topk``: the score matrix a block of 2048 new rows at a time
  (numpy matmul, so BLAS and its threads), the top K of each row by ``torch.topk`` (numpy's
  argpartition only where torch is absent), results gathered into (row, col, cosine) arrays
- numpy: the same blocks and the same matmul, then ``np.argpartition`` per row and a sort of the K
  picked, the way numpy users would write it (the selection runs on one thread; numpy has no other)
- GEMM floor: the FLOPs of the score matrix (2·n·m·d) at this machine's measured matmul rate,
  the time no exact method can beat.
Run: ``.venv/bin/python bench/knn.py [--dim 384] [--k 5] [--sizes 10000,100000]``.
"""

import argparse
import time

import numpy as np

from podcast_assets.similarities.knn import topk


def unit(n: int, d: int, rng) -> np.ndarray:
    x = rng.standard_normal((n, d), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def matmul_rate(d: int, rng) -> float:
    a, b = unit(4096, d, rng), unit(4096, d, rng)
    a @ b.T
    t0 = time.perf_counter()
    for _ in range(5):
        a @ b.T
    return 5 * 2 * 4096 * 4096 * d / (time.perf_counter() - t0)


def plain(new: np.ndarray, hist: np.ndarray, k: int, block: int = 2048) -> None:
    hist_t = hist.T.copy()
    for a in range(0, len(new), block):
        scores = new[a:a + block] @ hist_t
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1)
        np.take_along_axis(part, order, axis=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--sizes", default="10000,100000", help="new-vector counts, against 10k history")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    rate = matmul_rate(args.dim, rng)
    print(f"measured float32 matmul rate: {rate / 1e9:.1f} GFLOP/s")
    hist = unit(10_000, args.dim, rng)
    topk(hist[:2], hist[:10], args.k)  # the kernel imports torch on first use (about 3 s): not per call
    for n in (int(x) for x in args.sizes.split(",")):
        new = unit(n, args.dim, rng)
        pairs = n * len(hist)
        t0 = time.perf_counter()
        topk(new, hist, args.k)
        kernel = time.perf_counter() - t0
        t0 = time.perf_counter()
        plain(new, hist, args.k)
        naive = time.perf_counter() - t0
        floor = 2 * n * len(hist) * args.dim / rate
        print(f"{n:>7} x {len(hist)}: kernel {kernel:6.2f}s ({pairs / kernel / 1e6:7.1f} M pairs/s)  "
              f"numpy argpartition {naive:6.2f}s ({pairs / naive / 1e6:7.1f} M pairs/s)  "
              f"GEMM floor {floor:6.2f}s ({pairs / floor / 1e6:7.1f} M pairs/s)  "
              f"kernel = {kernel / floor:.2f}x floor, {naive / kernel:.2f}x faster than argpartition")


if __name__ == "__main__":
    main()
