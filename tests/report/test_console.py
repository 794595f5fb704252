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
    assert re.search(r"DeepSeek CN 2 ai-model 1, ai-service 1 deny 2", out)
    assert re.search(r"Hikvision CN 1 hardware-device 1 waived \(deny\) 1", out)
    # CN producers first
    assert out.index("Alibaba Cloud CN") < out.index("Anthropic US")


def test_decisions_with_rules_and_citations(result: ScanResult) -> None:
    out = console.render(result)
    assert "rule US-FED-DEEPSEEK-001 (deny) [us-federal@2025.11]" in out
    assert "DENY  ai-model deepseek-ai/DeepSeek-R1-Distill-Llama-70B (self-hosted)" in out
    assert "service operator: DeepSeek (CN)" in out
    assert "lineage: distill of meta-llama/Llama-3.3-70B-Instruct (Meta, US)" in out
    assert "source: No DeepSeek on Government Devices Act (H.R. 1121) (2025-02-06)\n" in out
    assert "    https://www.congress.gov/bill/119th-congress/house-bill/1121\n" in out
    assert "[secondary, verify]" in out
    assert "self-hosted" in out and "DeepSeek (CN)" in out
    assert "waived by WVR-2026-007" in out
    assert MODEL_NAME.split("/")[0] in out


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
