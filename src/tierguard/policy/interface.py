"""Policy: versioned packs of cited rules, a deployment Context, waivers; evaluation is a pure function.

Entry points:
- ``tierguard.policy.packs.load_packs(selectors: Sequence[str] | None) -> list[Pack]``: packaged packs by id,
  or user pack files by path; invalid packs raise PolicyError naming file, line and field.
- ``tierguard.policy.engine.evaluate(assets, findings, inspections, context, packs, waivers=()) ->
  list[Decision]``: one Decision per asset (and per flagged artifact), pure, no I/O.
- ``tierguard.policy.context.resolve_context(...) -> Context``: CLI flags over ``tierguard.toml``/--config.
"""
