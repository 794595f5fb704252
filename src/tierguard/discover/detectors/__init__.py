"""Detector families, one module each; registered explicitly in ``discover/registry.py``."""
