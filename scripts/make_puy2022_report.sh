#!/bin/sh
# Regenerate results/puy2022.csv.gz and reports/puy2022/ (run from the repository root).
#
#   sh scripts/make_puy2022_report.sh [STORE]      # default STORE: puy2022.sqlite
#
# Runs (or resumes: finished cells are skipped) the puy2022 sweep into STORE (about 5 minutes
# on 2 cores), exports the columns the comparison reads to results/puy2022.csv.gz (the full
# export is 135 MB, 72 MB of it confidence intervals and extras the comparison does not use),
# and builds the report from that export, so the committed CSV alone regenerates it:
#   python -m benchsens.reports.puy2022 results/puy2022.csv.gz --out reports/puy2022
set -eu
STORE=${1:-puy2022.sqlite}
# exit status 1 means some cells failed or timed out: they are stored and reported
benchsens run --suite puy2022 --store "$STORE" --no-progress || [ $? -eq 1 ]
mkdir -p results
benchsens export "$STORE" --format csv --out results/puy2022-full.csv --force
python - <<'PY'
import pandas as pd

keep = ["key", "problem", "params", "problem_fingerprint", "estimator", "options", "version",
        "target", "oracle", "budget", "seed", "noise", "replicate", "regime", "status", "message",
        "total", "truth_total", "truth_kind", "n_evals", "analysis_seconds", "spearman",
        "weighted_tau", "spearman_total", "weighted_tau_total", "mae_total", "max_total", "versions"]
full = pd.read_csv("results/puy2022-full.csv")
# gzip with mtime 0: the same store gives the same bytes
full[keep].to_csv("results/puy2022.csv.gz", index=False,
                  compression={"method": "gzip", "compresslevel": 9, "mtime": 0})
PY
rm results/puy2022-full.csv
rm -rf reports/puy2022
python -m benchsens.reports.puy2022 results/puy2022.csv.gz --out reports/puy2022
