"""Every stage's implementations satisfy the Protocol in its ``interface.py``.

The static check is ``src/tierguard/conformance.py`` (assignments mypy verifies in CI); this is the cheap
run-time check of the same pairs: each implementation accepts every parameter of its Protocol's
``__call__`` under the same name and kind, and any extra parameter it takes has a default.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import tierguard.targets
from tierguard.discover.engine import run_detectors
from tierguard.discover.interface import DiscoverStage
from tierguard.identify.artifacts import identify_artifacts
from tierguard.identify.code import identify_evidence
from tierguard.identify.interface import ArtifactIdentifyStage, IdentifyStage
from tierguard.inspect.engine import inspect_target
from tierguard.inspect.interface import InspectStage
from tierguard.inventories import read_inventory, read_osquery, read_snmp
from tierguard.inventories.interface import InventoryReader
from tierguard.policy.engine import evaluate
from tierguard.policy.interface import Evaluator, PackLoader
from tierguard.policy.packs import load_packs
from tierguard.report import FORMATS
from tierguard.targets.interface import Resolver

_E = inspect.Parameter.empty


def signature_mismatches(impl: Callable[..., Any], contract: Callable[..., Any]) -> list[str]:
    """How ``impl`` fails to accept every call ``contract`` allows (empty: it does)."""
    want = list(inspect.signature(contract).parameters.values())
    if want and want[0].name == "self":
        want = want[1:]
    have = {n: q for n, q in inspect.signature(impl).parameters.items() if n != "self"}
    out = []
    for p in want:
        q = have.get(p.name)
        if q is None:
            out.append(f"missing parameter {p.name!r}")
        elif q.kind != p.kind:
            out.append(f"{p.name!r} is {q.kind.description}, the contract says {p.kind.description}")
        elif p.default is not _E and q.default is _E:
            out.append(f"{p.name!r} has no default; the contract's is {p.default!r}")
    wanted = {p.name for p in want}
    out += [
        f"extra parameter {n!r} without a default"
        for n, q in have.items()
        if n not in wanted and q.default is _E
    ]
    return out


STAGES: list[tuple[Callable[..., Any], type]] = [
    (run_detectors, DiscoverStage),
    (identify_evidence, IdentifyStage),
    (identify_artifacts, ArtifactIdentifyStage),
    (inspect_target, InspectStage),
    (evaluate, Evaluator),
    (load_packs, PackLoader),
    (read_osquery, InventoryReader),
    (read_inventory, InventoryReader),
    (read_snmp, InventoryReader),
]


@pytest.mark.parametrize(("impl", "protocol"), STAGES, ids=lambda x: getattr(x, "__name__", str(x)))
def test_stage_implements_its_protocol(impl: Callable[..., Any], protocol: type) -> None:
    assert signature_mismatches(impl, protocol.__call__) == []  # type: ignore[operator]


def test_every_report_format_is_a_reporter() -> None:
    def reporter(result: object) -> str: ...

    for name in FORMATS:
        render = FORMATS[name]
        assert signature_mismatches(render, reporter) == [], name


def _resolver_classes() -> list[type]:
    """Every public ``*Resolver`` class defined in a ``tierguard.targets`` module."""
    found = []
    for info in pkgutil.iter_modules(tierguard.targets.__path__, "tierguard.targets."):
        mod = importlib.import_module(info.name)
        found += [
            obj
            for name, obj in vars(mod).items()
            if name.endswith("Resolver")
            and not name.startswith("_")
            and inspect.isclass(obj)
            and obj.__module__ == mod.__name__
            and obj is not Resolver
        ]
    return found


RESOLVERS = _resolver_classes()


def test_resolver_classes_found() -> None:
    names = {c.__name__ for c in RESOLVERS}
    assert {"DirectoryResolver", "MemoryResolver"} <= names


@pytest.mark.parametrize("cls", RESOLVERS, ids=lambda c: c.__name__)
def test_resolvers_implement_the_resolver_protocol(cls: type) -> None:
    assert isinstance(inspect.getattr_static(cls, "root_name"), property)
    for name in ("files", "read_bytes", "local_path", "skipped"):
        assert signature_mismatches(getattr(cls, name), getattr(Resolver, name)) == [], name


def test_the_checker_catches_drift() -> None:
    def contract(self: object, path: str, *, catalog: object = None) -> None: ...

    def renamed(p: str, *, catalog: object = None) -> None: ...

    def positional(path: str, catalog: object = None) -> None: ...

    def extra(path: str, mode: str, *, catalog: object = None) -> None: ...

    def required(path: str, *, catalog: object) -> None: ...

    def fine(path: str, *, catalog: object = None, host: str | None = None) -> None: ...

    assert signature_mismatches(renamed, contract) == [
        "missing parameter 'path'",
        "extra parameter 'p' without a default",
    ]
    assert signature_mismatches(positional, contract) == [
        "'catalog' is positional or keyword, the contract says keyword-only"
    ]
    assert signature_mismatches(extra, contract) == ["extra parameter 'mode' without a default"]
    assert signature_mismatches(required, contract) == ["'catalog' has no default; the contract's is None"]
    assert signature_mismatches(fine, contract) == []
