"""Catalog: versioned, sourced knowledge files and their loader."""

from tierguard.catalog.loader import Catalog, ModelMatch, load_catalog

__all__ = ["Catalog", "ModelMatch", "load_catalog"]
