"""Policy: versioned packs of cited rules, a deployment Context, waivers; evaluation is a pure function.

Entry points:
- ``tierguard.policy.packs.load_packs(selectors: Sequence[str] | None) -> list[Pack]``: packaged packs by id,
  or user pack files by path (None: every shipped pack); tier frameworks referenced by rules are added;
  invalid packs raise PolicyError naming file, line and field; the ``no-context`` pack is added next to any
  pack with jurisdiction-scoped rules (fail closed without a deployment country).
- ``tierguard.policy.engine.evaluate(assets, findings, inspections, context, packs, waivers=(), *,
  today=None) -> list[Decision]``: one Decision per asset, pure, no I/O. An asset with usages is judged per
  usage group (use mode, service jurisdiction, strength: ``usage_groups``); the decision is the worst group's
  (``driven_by`` names its usages, ``by_usage`` keeps every group's verdict). Strength C never denies; waived
  decisions keep their verdict.
- ``tierguard.policy.explain.rules_info(packs) -> list[RuleInfo]`` for reporters;
  ``coverage_notes(assets, context, packs) -> list[str]`` ("no deployment context given ...", "no equipment
  inventory supplied ...", "--binding-only: ... dropped N of M rules ..." when ``context.binding_only``);
  ``trace(asset, findings, inspections, context, packs) -> list[RuleTrace]`` for ``tierguard explain``.
- ``tierguard.policy.context.resolve_context(*, root, config, profile, overrides, trust_target_config=False)
  -> ResolvedConfig(context, packs, waivers, fail_on, notes)``: CLI flags > profile > --config; the target's
  own ``tierguard.toml`` is ignored entirely (with a note) unless trusted.
- ``tierguard.policy.waivers.load_waivers(path) -> list[Waiver]``; ``waiver_report(decisions, waivers,
  context) -> WaiverReport(applied, expired, unused)``.
- ``tierguard.policy.selftest.run_examples(pack, support_packs) -> list[ExampleResult]``.
- ``tierguard.policy.citations.citation_problems(rule) -> list[str]``: a bare homepage, a news site or a docs
  path not marked ``verify`` (``pack_citation_problems(pack)`` for a pack; ``tierguard policy test`` fails on
  them).

Every rule carries its instrument's ``status`` (required); ``context.binding_only`` keeps only statutes,
regulations, executive orders and directives in force, plus ``tool-default`` rules (``engine.binding_gap``);
a rule's ``device_classes``/``networks`` scope holds when the context's device class or network is listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from tierguard.model import Asset, Context, Decision, Finding, Inspection, Waiver
from tierguard.policy.schema import Pack


class Evaluator(Protocol):
    """``evaluate``: one Decision per asset, a pure function of its arguments (``today`` defaults to the
    context's date, else the current date)."""

    def __call__(
        self,
        assets: Sequence[Asset],
        findings: Sequence[Finding],
        inspections: Sequence[Inspection],
        context: Context,
        packs: Sequence[Pack],
        waivers: Sequence[Waiver] = (),
        *,
        today: dt.date | None = None,
    ) -> list[Decision]: ...


class PackLoader(Protocol):
    """``load_packs``: shipped packs by id or user pack files by path (None: every shipped pack)."""

    def __call__(self, selectors: Sequence[str] | None = None) -> list[Pack]: ...
