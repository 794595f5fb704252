"""Behavioural audit of a served model: see :mod:`tierguard.audit.interface`."""
