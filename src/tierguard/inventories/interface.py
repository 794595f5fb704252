"""Inventories: the contract every reader of exported equipment records satisfies.

A reader is a function of (the export's path, the equipment catalog, options) -> ``EquipmentOutput``
(assets, evidence, skipped with reasons, per-host verdicts, fleet summary). It streams its input with every
read bounded (``EquipmentOptions.max_line_bytes`` / ``max_json_bytes``); a row, line or file it could not use
is a Skipped with a reason, never silently dropped. A file that cannot be opened raises ``TargetError``.
Outputs of several readers combine with ``EquipmentOutput.merge`` (a host seen in two exports is one host).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tierguard.equipment.catalog import EquipmentCatalog
from tierguard.equipment.types import EquipmentOptions, EquipmentOutput


class InventoryReader(Protocol):
    """``read_osquery``, ``read_inventory`` (CMDB) and ``read_snmp`` satisfy this (readers may take further
    keyword-only options with defaults, e.g. ``read_osquery(..., host=None)``)."""

    def __call__(
        self,
        path: Path,
        *,
        catalog: EquipmentCatalog | None = None,
        options: EquipmentOptions | None = None,
    ) -> EquipmentOutput: ...
