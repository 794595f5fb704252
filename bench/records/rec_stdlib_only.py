"""The stdlib modules rec_dataclasses.py imports, without its classes (library-only import row)."""

import dataclasses  # noqa: F401
import hashlib  # noqa: F401
import json  # noqa: F401
import typing  # noqa: F401
