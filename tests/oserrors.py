"""Fakes for read errors a root test process cannot provoke with file modes."""

from __future__ import annotations

import os
from typing import Any

import pytest


def deny_open(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make ``os.open`` of any path ending in ``name`` fail with EACCES, as an unreadable file would."""
    real = os.open

    def fake(path: Any, *args: Any, **kwargs: Any) -> int:
        if os.fspath(path).endswith(name):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake)
