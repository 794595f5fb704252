"""Policy: packs of cited rules, the deployment context, waivers, evaluation (see ``interface``)."""

NO_CONTEXT = "no deployment context given"
"""How every note and rule reason about a scan without a deployment country begins; reporters find the
policy stage's note by it (``report._common.NO_CONTEXT`` holds the same text)."""
