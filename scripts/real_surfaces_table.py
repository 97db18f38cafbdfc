"""Print one row per real surface: size, top-3 parameters by total Sobol' index, noise-to-signal.

Usage: python scripts/real_surfaces_table.py [--time | --log_time | --memory]   (default: the losses)
Every value is computed from the registered problems' exact grid truth.
"""
import sys
import time

import numpy as np

import benchsens as bs


def main(argv):
    objective = next((a[2:] for a in argv if a in ("--time", "--log_time", "--memory")), "loss")
    names = bs.list_problems(tag=objective)
    print(f"| surface | d | configs | replicates | top-3 by ST | max S2 pair | noise/signal | load s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        t0 = time.perf_counter()
        p = bs.get_problem(name)
        seconds = time.perf_counter() - t0
        gt = p.truth
        top = np.argsort(-gt.total)[:3]
        top3 = ", ".join(f"{p.space.names[j]} {gt.total[j]:.2f}" for j in top)
        j, k = np.unravel_index(np.argmax(gt.second), gt.second.shape)
        pair = f"{p.space.names[j]}x{p.space.names[k]} {gt.second[j, k]:.2f}"
        nts = gt.extras["noise_to_signal"]
        print(f"| {name} | {p.d} | {p.table.size} | {gt.extras['n_replicates']} | {top3} | {pair} | "
              f"{'-' if nts is None else f'{nts:.3f}'} | {seconds:.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
