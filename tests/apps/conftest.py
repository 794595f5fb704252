"""Shared fixtures of the app inventory tests: the app catalog (loaded once) and small file writers."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from pathlib import Path

import pytest

from tierguard.apps import AppCatalog, load_app_catalog

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fleet"


@pytest.fixture(scope="session")
def catalog() -> AppCatalog:
    return load_app_catalog()


def osquery_line(
    host: str, name: str, rows: list[dict[str, object]], t: int = 1764576000, **extra: object
) -> str:
    """One osqueryd results-log line in snapshot format."""
    obj: dict[str, object] = {
        "name": name,
        "hostIdentifier": host,
        "calendarTime": "",
        "unixTime": t,
        "action": "snapshot",
        "snapshot": rows,
    }
    obj.update(extra)
    return json.dumps(obj, ensure_ascii=False)


def zst(data: bytes) -> bytes:
    """``data`` as one zstd frame (the standard library's API: compression.zstd, or backports.zstd)."""
    try:
        from compression import zstd  # type: ignore[import-not-found]
    except ImportError:
        from backports import zstd  # type: ignore[no-redef]
    return bytes(zstd.compress(data))


def write_lines(path: Path, lines: Iterable[str], compress: str = "") -> Path:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if compress == "gzip":
        data = gzip.compress(data)
    elif compress == "zstd":
        data = zst(data)
    path.write_bytes(data)
    return path


PROGRAM_DEEPSEEK = {
    "name": "DeepSeek",
    "version": "1.3.0",
    "publisher": "DeepSeek",
    "install_source": "",
    "uninstall_string": "C:\\Users\\jdoe\\AppData\\Local\\Programs\\DeepSeek\\Uninstall DeepSeek.exe",
    "identifying_number": "",
}
PROGRAM_CHROME = {
    "name": "Google Chrome",
    "version": "131.0",
    "publisher": "Google LLC",
    "install_source": "",
    "uninstall_string": "",
    "identifying_number": "",
}
