from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tierguard.policy.packs import Pack, load_packs  # noqa: E402


@pytest.fixture(scope="session")
def packs() -> list[Pack]:
    return load_packs(None)
