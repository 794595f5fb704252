"""The audit's user-caused errors: one line each, exit code 2 in the CLI."""

from __future__ import annotations

from tierguard.errors import TierguardError


class AuditError(TierguardError):
    """An audit could not run: a bad endpoint URL, an unreachable endpoint, a bad option or cache."""
