"""CSV export: one row per usage to act on, device and user for inventory/log usages, no formula injection."""

from __future__ import annotations

import csv
import io

from tierguard.model import (
    Asset,
    Citation,
    Decision,
    Location,
    ProducerRef,
    Provenance,
    RuleMatch,
    ScanResult,
    Usage,
    UsageVerdict,
)
from tierguard.report import FORMATS
from tierguard.report.csv_report import COLUMNS, cell


def _result() -> ScanResult:
    app = Asset(
        kind="ai-app",
        name="DeepSeek (app)",
        use_mode="consumer-app",
        provenance=Provenance(producers=(ProducerRef(id="deepseek", name="DeepSeek", jurisdiction="CN"),)),
        usages=(
            Usage(
                location=Location(path="osquery.log", line=3),
                use_mode="consumer-app",
                strength="A",
                as_written="DeepSeek",
                service="DeepSeek app and web chat",
                operator="deepseek",
                service_jurisdiction="CN",
                host="LAPTOP-17",
                user='=HYPERLINK("http://x")',
                first_seen="2026-11-02T08:00:00Z",
                last_seen="2026-11-30T17:00:00Z",
                count=12,
            ),
        ),
    )
    cite = Citation(instrument="Texas Governor's directive", date="2025-01-31", url="https://gov.texas.gov/x")
    d = Decision(
        asset_id=app.id,
        verdict="deny",
        matches=(
            RuleMatch(
                pack="us-gov-devices",
                pack_version="1",
                rule_id="US-TX-2025-DEEPSEEK",
                verdict="deny",
                severity="high",
                reason="r",
                citation=cite,
            ),
        ),
        by_usage=(
            UsageVerdict(
                use_mode="consumer-app", service_jurisdiction="CN", strength="A", verdict="deny", usages=1
            ),
        ),
    )
    ok = Asset(kind="ai-service", name="OpenAI API", use_mode="hosted-api")
    return ScanResult(
        tool_version="t",
        catalog_version="c",
        target="fleet",
        assets=(app, ok),
        decisions=(d, Decision(asset_id=ok.id, verdict="allow")),
    )


def test_rows_for_what_must_be_acted_on() -> None:
    text = FORMATS["csv"](_result())
    assert text.endswith("\r\n")
    table = list(csv.reader(io.StringIO(text)))
    assert tuple(table[0]) == COLUMNS
    assert len(table) == 2  # the allowed OpenAI API is not a row
    row = dict(zip(COLUMNS, table[1], strict=True))
    assert row["device"] == "LAPTOP-17" and row["asset"] == "DeepSeek (app)"
    assert row["user"].startswith("'=")  # never a formula in a spreadsheet
    assert (row["first_seen"], row["last_seen"], row["count"]) == (
        "2026-11-02T08:00:00Z",
        "2026-11-30T17:00:00Z",
        "12",
    )
    assert row["rules"] == "US-TX-2025-DEEPSEEK (deny)" and row["sources"] == "https://gov.texas.gov/x"
    assert row["usage_verdict"] == "deny" and row["location"] == "osquery.log:3"


def test_cells_are_visible_and_inert() -> None:
    assert cell("+1") == "'+1" and cell("@SUM(A1)") == "'@SUM(A1)" and cell("-x") == "'-x"
    assert cell("a\x1bb") == "a\\x1bb"
    assert cell(None) == "" and cell("plain") == "plain"


def test_console_lists_devices_and_users_with_rules_and_dates() -> None:
    from tierguard.report import console

    out = console.render(_result())
    assert "Devices and users: 1 devices with usages to act on; 1 with a deny, 0 review only" in out
    start = out.index("  LAPTOP-17")
    line = out[start : out.index("\n\n", start)].replace("\n", " ")  # folded at 120 columns
    assert "DENY" in line and "DeepSeek (app)" in line and "x12" in line
    assert "2026-11-02T08:00:00Z .. 2026-11-30T17:00:00Z" in line and "US-TX-2025-DEEPSEEK" in line
    assert '(=HYPERLINK("http://x"))' in line  # the user, shown as text
