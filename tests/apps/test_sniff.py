"""Format detection by content: osquery results and arrays, the MDM exports by their headers, compressed
or not; everything else is None (a name alone never decides)."""

from __future__ import annotations

import gzip
import json

import pytest

from tests.apps.conftest import EXAMPLES, PROGRAM_DEEPSEEK, osquery_line, zst
from tierguard.apps import sniff


def test_examples_are_sniffed() -> None:
    assert sniff((EXAMPLES / "osquery" / "fleet-apps.log").read_bytes()[:4096]) == "osquery-results"
    assert sniff((EXAMPLES / "mdm" / "intune-discovered-apps.csv").read_bytes()) == "intune-discovered-apps"
    assert sniff((EXAMPLES / "mdm" / "jamf-mobile-devices.csv").read_bytes()) == "jamf-mobile-devices"


def test_compressed_heads() -> None:
    line = osquery_line("h1", "programs", [PROGRAM_DEEPSEEK]).encode()
    assert sniff(gzip.compress(line)) == "osquery-results"
    assert sniff(zst(line)) == "osquery-results"
    assert sniff(gzip.compress(line)[:20]) is None  # too little to tell


@pytest.mark.parametrize(
    ("head", "fmt"),
    [
        (json.dumps([PROGRAM_DEEPSEEK]), "osquery-json"),
        ('[{"name":"Kimi.app","bundle_identifier":"com.moonshot.kimichat"}]', "osquery-json"),
        ("ApplicationKey,ApplicationName,ApplicationPublisher,DeviceCount\n", "intune-discovered-apps"),
        ("Application Name;Device name;Platform\n", "intune-discovered-apps"),
        ("AppIdentifier,Name,Publisher,Platform,Status,Type\n", "intune-all-apps"),
        ("Computer Name,Username,Application Title,Application Version\n", "jamf-computers"),
        ("Display Name\tApp Name\tApp Identifier\n", "jamf-mobile-devices"),
        ("Device name,User email,App name,Package name,Version name\n", "google-managed-apps"),
        ("\ufeffApplicationName,DeviceName\n", "intune-discovered-apps"),
        # not app inventories
        ("hostname,vendor,model\nsrv1,Huawei,2288H\n", None),
        ("#separator \\x09\n#fields\tts\tuid\tquery\n", None),
        ('{"ts": 1, "query": "chat.deepseek.com"}\n', None),
        ("[1, 2, 3]", None),
        ("# README\n", None),
        ("", None),
    ],
)
def test_sniff_by_content(head: str, fmt: str | None) -> None:
    assert sniff(head.encode("utf-8"), "x.txt") == fmt


def test_utf16_csv_header() -> None:
    assert sniff("\ufeffApplicationName,DeviceName\r\n".encode("utf-16")) == "intune-discovered-apps"


def test_name_only_breaks_ties() -> None:
    head = b'[{"identifier":"x","version":"1"}]'
    assert sniff(head, "extensions.json") == "osquery-json"
    assert sniff(head, "extensions.txt") is None
