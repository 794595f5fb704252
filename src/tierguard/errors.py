"""Error hierarchy: one base per stage, all under TierguardError. The CLI maps them to exit code 2."""


class TierguardError(Exception):
    """Base of every error tierguard raises on purpose (bad input, bad configuration)."""


class TargetError(TierguardError):
    """A target could not be opened at all (does not exist, unsupported kind)."""


class DiscoverError(TierguardError):
    """A detector failed on one unit; recorded as skipped unless --strict."""


class CatalogError(TierguardError):
    """A catalog data file is missing or invalid."""


class IdentifyError(TierguardError):
    """Identification failed on one unit."""


class InspectError(TierguardError):
    """Inspection failed on one artifact."""


class PolicyError(TierguardError):
    """A policy pack, context, profile or waiver file is invalid (message names file, line and field)."""


class ReportError(TierguardError):
    """A report could not be produced."""
