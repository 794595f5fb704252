"""Static proof that every implementation satisfies its stage's contract (the Protocols in each
``interface.py``): mypy (strict, run by CI over ``src/``) checks the assignments below. Nothing here runs —
the whole body is under ``TYPE_CHECKING`` — so this module imports no stage at run time. A signature that
drifts from its Protocol fails ``mypy``; ``tests/test_interfaces.py`` checks the same pairs at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from tierguard.discover.engine import run_detectors
    from tierguard.discover.interface import DiscoverStage
    from tierguard.identify.artifacts import identify_artifacts
    from tierguard.identify.code import identify_evidence
    from tierguard.identify.interface import ArtifactIdentifyStage, IdentifyStage
    from tierguard.inspect.engine import inspect_target
    from tierguard.inspect.interface import InspectStage
    from tierguard.inventories.cmdb import read_inventory
    from tierguard.inventories.interface import InventoryReader
    from tierguard.inventories.osquery import read_osquery
    from tierguard.inventories.snmp import read_snmp
    from tierguard.policy.engine import evaluate
    from tierguard.policy.interface import Evaluator, PackLoader
    from tierguard.policy.packs import load_packs
    from tierguard.report import console, cyclonedx, html, json_report, sarif
    from tierguard.report.interface import Reporter
    from tierguard.targets.directory import DirectoryResolver
    from tierguard.targets.interface import Resolver
    from tierguard.targets.memory import MemoryResolver
    from tierguard.targets.open import open_target

    discover_stage: DiscoverStage = run_detectors
    identify_stage: IdentifyStage = identify_evidence
    artifact_stage: ArtifactIdentifyStage = identify_artifacts
    inspect_stage: InspectStage = inspect_target
    evaluator: Evaluator = evaluate
    pack_loader: PackLoader = load_packs
    inventory_readers: tuple[InventoryReader, ...] = (read_osquery, read_inventory, read_snmp)
    reporters: tuple[Reporter, ...] = (
        console.render,
        cyclonedx.render,
        html.render,
        json_report.render,
        sarif.render,
    )

    def resolvers(d: DirectoryResolver, m: MemoryResolver, target: Path) -> tuple[Resolver, ...]:
        return (d, m, open_target(target))  # whatever open_target returns (archives, containers) too
