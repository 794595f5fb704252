from __future__ import annotations

import io
import re

from rich.console import Console

from tierguard.model import ScanResult
from tierguard.report import FORMATS, console

from .conftest import MODEL_NAME


def _plain(result: ScanResult) -> str:
    return re.sub(r"[ \t]+", " ", console.render(result))


def test_print_result_to_rich_console(result: ScanResult) -> None:
    buf = io.StringIO()
    c = Console(file=buf, width=160, force_terminal=True, color_system="truecolor")
    console.print_result(result, c)
    out = buf.getvalue()
    assert "\x1b[" in out  # coloured on a terminal
    assert "DENY" in out


def test_table_is_plain_text(result: ScanResult) -> None:
    out = console.render(result)
    assert "\x1b" not in out
    assert FORMATS["table"](result) == out


def test_summary_by_producer_and_jurisdiction(result: ScanResult) -> None:
    out = _plain(result)
    assert "worst verdict: DENY" in out
    assert re.search(r"DeepSeek \(CN\) 2 assets deny 2 \(model 1, service 1\)", out)
    assert re.search(r"Hikvision \(CN\) 1 assets waived \(deny\) 1 \(hardware-device 1\)", out)
    # CN producers first
    assert out.index("Alibaba Cloud (CN)") < out.index("Anthropic (US)")


def test_decisions_grouped_by_verdict_then_asset_with_a_legend(result: ScanResult) -> None:
    out = console.render(result)
    deny, review, allow = out.index("DENY (3)"), out.index("REVIEW (1)"), out.index("ALLOW (2)")
    assert deny < review < allow < out.index("Rules cited, by source")
    # one header line per asset: verdict, canonical name, kind, producer (with lineage), asset id
    model = next(a for a in result.assets if a.name == MODEL_NAME)
    assert (
        f"  DENY  {MODEL_NAME}  model  DeepSeek (CN); distill of meta-llama/Llama-3.3-70B-Instruct (Meta, US)"
        f"  {model.id}"
    ) in re.sub(r" ?\n(?=\(Meta)", " ", out)
    assert "      app/inference.py:12\n" in out  # where it was seen (this asset has evidence, no usages)
    assert "      rules: US-FED-DEEPSEEK-001 (deny)" in out
    assert "waived by WVR-2026-007" in out
    # every rule once, in the legend, with its source and URL
    assert out.count("No DeepSeek on Government Devices Act (H.R. 1121) (2025-02-06)") == 1
    assert "https://www.congress.gov/bill/119th-congress/house-bill/1121" in out
    assert "[secondary, verify]" in out


def test_not_inspected_and_notes(result: ScanResult) -> None:
    out = _plain(result)
    assert "skipped: vendored 2" in out
    assert "skipped: binary 1" in out
    assert "incomplete: truncated metadata 1" in out
    assert "not-inspected: too-large 1" in out
    assert "- hosts inventory covers 1 of 3 sites" in out


def test_empty_result(empty_result: ScanResult) -> None:
    out = console.render(empty_result)
    assert "worst verdict: ALLOW" in out
