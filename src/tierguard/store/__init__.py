"""Recorded scans: see :mod:`tierguard.store.interface`."""
