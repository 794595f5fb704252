"""Discover stage: declarative detectors that turn target files into Evidence."""
