"""Report: pure functions of the versioned ScanResult; they never reach into the engine.

Each module ``tierguard.report.<fmt>`` exposes ``render(result: ScanResult) -> str``; the console reporter
also has ``print_result(result, console)``. ``FORMATS`` in ``tierguard.report`` maps names to reporters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from tierguard.model import ScanResult

Reporter: TypeAlias = Callable[[ScanResult], str]
"""What every ``tierguard.report.<fmt>.render`` is (``FORMATS`` values): a pure function of the result."""
