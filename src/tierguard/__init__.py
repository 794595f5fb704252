"""tierguard: where do we use PRC-origin AI, through which path, is it allowed here, and can we prove it?"""

__version__ = "0.1.0"
