"""Ingest a generated osquery snapshot log and report wall time and peak memory (ru_maxrss).

usage: python bench/equipment/run.py /tmp/osquery-snapshot.log
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from tierguard.equipment import load_equipment_catalog
from tierguard.inventories import read_osquery


def main() -> None:
    path = Path(sys.argv[1])
    cat = load_equipment_catalog()
    cat.oui.lookup("000000")  # parse the OUI registry outside the timed region (done once per run anyway)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    out = read_osquery(path, catalog=cat)
    dt = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    s = out.summary
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"ingest: {dt:.1f} s; peak RSS {rss / 1024:.0f} MB (before ingest {rss0 / 1024:.0f} MB)")
    print(
        f"hosts {s.hosts}, with PRC {s.hosts_with_prc} ({s.share_with_prc:.1%}), records {s.records_read}, "
        f"assets {len(out.assets)}, unusable {s.unusable_records}"
    )
    print("per site:", {k: (v.hosts, v.hosts_with_prc) for k, v in s.per_site.items()})


if __name__ == "__main__":
    main()
