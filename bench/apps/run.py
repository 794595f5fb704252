"""Ingest a generated osquery app-table log with ``tierguard.apps.read_apps`` and report wall time, peak
memory (ru_maxrss) and what was found.

usage: python bench/apps/run.py /tmp/osquery-apps.log
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from tierguard.apps import load_app_catalog, read_apps


def main() -> None:
    path = Path(sys.argv[1])
    cat = load_app_catalog()  # loaded once per run anyway; outside the timed region
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0, c0 = time.perf_counter(), time.process_time()
    out = read_apps(path, catalog=cat)
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    usages = sum(len(a.usages) for a in out.assets)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"ingest: {dt:.1f} s wall, {cpu:.1f} s CPU; peak RSS {rss / 1024:.0f} MB", end=" ")
    print(f"(before ingest {rss0 / 1024:.0f} MB)")
    print(f"devices {out.devices}, rows {out.rows}, assets {len(out.assets)}, usages {usages}", end=", ")
    print(f"skipped {len(out.skipped)}")
    print("per app:", {a.name: len(a.usages) for a in out.assets})


if __name__ == "__main__":
    main()
