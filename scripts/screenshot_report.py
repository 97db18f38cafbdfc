"""Render a report's index.html in headless Chromium (Debian's ``chromium`` package) and
save a full-page PNG, to look at the page as a reader does.

    apt-get install -y chromium
    python scripts/screenshot_report.py quick-report/index.html --out shot.png [--height 6000]

No network: the page is static; Chromium runs with background networking, component
updates and sync disabled, in a throw-away profile.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page", type=Path, help="a report's index.html")
    ap.add_argument("--out", type=Path, default=Path("report-screenshot.png"))
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--height", type=int, default=5000, help="pixels rendered (the page is cut there)")
    args = ap.parse_args(argv)
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("screenshot_report: no chromium on PATH (apt-get install -y chromium)", file=sys.stderr)
        return 2
    if not args.page.is_file():
        print(f"screenshot_report: no page at {str(args.page)!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               f"--user-data-dir={profile}", f"--screenshot={args.out.resolve()}",
               f"--window-size={args.width},{args.height}", args.page.resolve().as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not args.out.is_file():
        print(f"screenshot_report: chromium failed ({done.returncode}): {done.stderr.strip()[-500:]}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
