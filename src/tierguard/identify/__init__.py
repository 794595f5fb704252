"""Identify stage: evidence and artifacts -> assets with provenance."""
