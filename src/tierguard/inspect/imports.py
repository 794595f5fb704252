"""Judging pickle imports: a default-deny allowlist per framework plus a gadget list for severity.

``judge(module, name)`` returns ``"safe"`` (allowlisted reconstruction helper), ``"dangerous"`` (known
gadget: critical) or ``"suspicious"`` (anything else: default deny).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

Verdict = Literal["safe", "suspicious", "dangerous"]

# exact (module, name) pairs that only reconstruct data
_SAFE_EXACT: frozenset[tuple[str, str]] = frozenset(
    {
        ("collections", "OrderedDict"),
        ("collections", "defaultdict"),
        ("collections", "Counter"),
        ("collections", "deque"),
        ("_codecs", "encode"),  # protocol 2 bytes
        ("codecs", "encode"),
        ("copyreg", "_reconstructor"),
        ("copy_reg", "_reconstructor"),
        ("builtins", "object"),
        ("datetime", "datetime"),
        ("datetime", "date"),
        ("datetime", "timedelta"),
        ("datetime", "time"),
        ("decimal", "Decimal"),
        ("fractions", "Fraction"),
        ("uuid", "UUID"),
        ("pathlib", "PosixPath"),
        ("pathlib", "WindowsPath"),
        ("pathlib", "PurePosixPath"),
        ("argparse", "Namespace"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy", "core.multiarray._reconstruct"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy.random._pickle", "__randomstate_ctor"),
        ("numpy.random._pickle", "__bit_generator_ctor"),
        ("numpy.random._pickle", "__generator_ctor"),
        ("joblib.numpy_pickle", "NumpyArrayWrapper"),
        ("joblib.numpy_pickle_compat", "NDArrayWrapper"),
        ("torch", "Size"),
        ("torch", "device"),
        ("torch", "dtype"),
        ("torch", "layout"),
        ("torch", "memory_format"),
        ("torch._tensor", "_rebuild_from_type_v2"),
        ("torch.nn.parameter", "Parameter"),
        ("torch.serialization", "_get_layout"),
        ("torch.distributed._shard.sharded_tensor", "ShardedTensor"),
        ("__torch__", "Module"),
    }
)
_SAFE_BUILTINS = frozenset(
    {"set", "frozenset", "slice", "complex", "bytearray", "bytes", "range", "list", "dict", "tuple", "int",
     "float", "str", "bool", "object"}
)  # fmt: skip
_TORCH_DTYPES = frozenset(
    {"float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16", "int32",
     "int64", "uint8", "bool", "long", "int", "short", "complex64", "complex128", "float8_e4m3fn",
     "float8_e5m2",
     "qint8", "quint8", "qint32", "uint16", "uint32", "uint64", "preserve_format", "contiguous_format",
     "channels_last", "strided", "sparse_coo"}
)  # fmt: skip

# (module prefix, name or None=every name) -> gadget; module prefixes match submodules too
_DANGEROUS_MODULES: tuple[str, ...] = (
    "os", "posix", "nt", "subprocess", "sys", "commands", "popen2", "pty", "shutil", "socket", "ssl",
    "requests", "urllib", "urllib2", "urllib3", "http", "httplib", "httpx", "aiohttp", "ftplib", "smtplib",
    "imaplib", "poplib", "nntplib", "telnetlib", "webbrowser", "runpy", "profile", "cProfile", "pstats",
    "trace", "timeit", "doctest", "pydoc", "pdb", "bdb", "code", "codeop", "ctypes", "_ctypes", "cffi",
    "importlib", "imp", "zipimport", "marshal", "pickle", "_pickle", "cPickle", "dill", "cloudpickle",
    "shelve", "pkgutil", "_pyrepl", "test", "idlelib", "lib2to3", "asyncio", "multiprocessing",
    "concurrent", "threading", "_thread", "signal", "venv", "ensurepip", "distutils", "setuptools", "pip",
    "site", "sysconfig", "tempfile", "glob", "io", "_io", "fileinput", "linecache", "tarfile", "zipfile",
    "operator", "_operator", "functools", "_functools", "types", "gc", "inspect",
    "_posixsubprocess", "_winapi", "winreg", "msvcrt", "_osx_support", "platform", "xmlrpc", "logging.config",
    "mlflow", "torch.utils.collect_env", "torch.utils.bottleneck", "torch._dynamo", "torch.jit",
    "torch._jit_internal",
    "torch._inductor", "torch.hub", "torch.utils.cpp_extension", "torch.package", "torch.fx",
    "torch.serialization", "torch.storage._load_from_bytes", "torch.distributed.rpc", "torch._C",
    "numpy.f2py", "numpy.testing", "numpy.distutils", "numpy.lib.npyio", "numpy.load", "numpy.fromfile",
    "pandas.io", "pandas.read_csv", "pandas.read_pickle", "pandas.read_json", "pandas.read_sql",
    "pandas.read_html", "pandas.read_excel", "pandas.read_parquet", "pandas.read_table", "pandas.read_fwf",
    "pandas.read_xml", "pandas.read_feather", "pandas.read_hdf", "pandas.read_orc", "pandas.read_sas",
    "pandas.read_spss", "pandas.read_stata", "pandas.read_clipboard", "pandas.read_gbq",
    "keras.utils.get_file", "tensorflow.io", "tensorflow.keras.utils.get_file", "uuid._get_command_stdout",
    "uuid._popen", "jinja2", "yaml", "ruamel", "paramiko", "fabric", "boto3", "botocore", "google.cloud",
    "transformers.dynamic_module_utils", "huggingface_hub",
)  # fmt: skip
_DANGEROUS_BUILTINS = frozenset(
    {"eval", "exec", "execfile", "compile", "open", "file", "getattr", "setattr", "delattr", "__import__",
     "apply", "breakpoint", "input", "raw_input", "globals", "locals", "vars", "reload", "memoryview",
     "classmethod", "staticmethod", "property", "type", "super", "help", "exit", "quit", "print", "dir",
     "map", "filter", "next", "iter"}
)  # fmt: skip
_BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "__builtins__", "exceptions"})


_DANGEROUS_SET = frozenset(_DANGEROUS_MODULES)


def _hits_dangerous(dotted: str) -> bool:
    """True when ``dotted`` or one of its dotted prefixes is a dangerous module/name."""
    parts = dotted.split(".")
    return any(".".join(parts[:i]) in _DANGEROUS_SET for i in range(1, len(parts) + 1))


@lru_cache(maxsize=8192)
def judge(module: str, name: str) -> Verdict:
    """Classify the import ``module.name`` (name may be dotted: ``Bdb.run``)."""
    mod = module.strip()
    nm = name.strip()
    full = f"{mod}.{nm}" if nm else mod
    if (mod, nm) in _SAFE_EXACT:
        return "safe"
    if mod in _BUILTIN_MODULES:
        head = nm.split(".", 1)[0]
        if head in _DANGEROUS_BUILTINS or head.startswith("__"):
            return "dangerous"
        if head in _SAFE_BUILTINS and "." not in nm:
            return "safe"
        return "suspicious"
    if _hits_dangerous(mod) or _hits_dangerous(full):
        return "dangerous"
    if "." not in nm:
        if mod == "torch" and (nm.endswith("Storage") or nm in _TORCH_DTYPES):
            return "safe"
        if mod == "torch._utils" and nm.startswith("_rebuild_"):
            return "safe"
        if mod == "torch.storage" and nm in ("UntypedStorage", "TypedStorage", "_StorageBase"):
            return "safe"
        if mod == "torch.cuda" and nm.endswith("Storage"):
            return "safe"
    if mod.startswith("__") or "__" in nm:
        return "dangerous"  # dunder traversal (e.g. object.__subclasses__)
    return "suspicious"
