"""Non-pickle checks: Keras config, Hugging Face remote code (auto_map + static AST review), GGUF structure
and chat templates (Jinja parse only, never render), ONNX external_data locations. The bytes are read by
the shared readers of :mod:`tierguard.formats` (GGUF, protobuf, HDF5); this module judges what they return."""

from __future__ import annotations

import ast
import json
import posixpath
import re
from typing import TYPE_CHECKING, Any

from tierguard.formats.protobuf import external_locations, fields
from tierguard.formats.source import Incomplete, RandomSource
from tierguard.targets.interface import FileRef, Resolver

if TYPE_CHECKING:
    from tierguard.inspect.engine import _Artifact

MAX_PY = 2 * 1024 * 1024
MAX_TEMPLATE = 1024 * 1024

# ---------------------------------------------------------------- Keras


def _walk_json(obj: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(obj, dict):
        out.append(obj)
        for v in obj.values():
            _walk_json(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _walk_json(v, out)


_KERAS_MODULE_OK = re.compile(r"^(keras|tensorflow\.keras|tf_keras|keras_nlp|keras_hub|keras_cv)(\.|$)")


def scan_keras_config(art: _Artifact, raw: bytes, member: str | None) -> None:
    try:
        cfg = json.loads(raw)
    except ValueError as exc:
        art.incomplete.append(f"{member or art.path}: config is not valid JSON ({exc})")
        return
    art.inspected_units += 1
    nodes: list[dict[str, Any]] = []
    _walk_json(cfg, nodes)
    for d in nodes:
        cls = d.get("class_name")
        if cls in ("Lambda", "TFOpLambda") or (isinstance(cls, str) and cls.endswith(">Lambda")):
            name = (
                str((d.get("config") or {}).get("name", "lambda"))
                if isinstance(d.get("config"), dict)
                else "lambda"
            )
            art.add(
                "TG-KRS-001",
                f"Keras Lambda layer {name!r} (runs serialized code on load)",
                member,
                f"Lambda:{name}",
            )
        mod = d.get("module")
        if isinstance(mod, str) and isinstance(cls, str) and mod and not _KERAS_MODULE_OK.match(mod):
            if mod in ("builtins",) and cls in ("function",):
                pass
            subject = f"{mod}.{cls}"
            art.add("TG-KRS-002", f"Keras config references module {subject}", member, subject)
        fn = d.get("function") if isinstance(d.get("function"), dict) else None
        if fn is not None and "code" in str(fn):
            art.add("TG-KRS-001", "Keras config carries serialized function code", member, "function-code")


# ---------------------------------------------------------------- HDF5 (legacy Keras .h5)

MAX_HDF5_HEADER = 16 * 1024 * 1024  # bytes of superblock, root object header and attribute values read
_KERAS_CONFIGS = ("model_config", "training_config")


def scan_hdf5(art: _Artifact, src: RandomSource, member: str | None) -> None:
    """A legacy Keras ``.h5``: the root group's ``model_config`` (and ``training_config``) JSON, read by
    :mod:`tierguard.formats.hdf5`, gets the check ``.keras`` configs get. A file without them (weights
    only, or plain data) has no model code to check. What the reader could not reach leaves the artifact
    incomplete: the root group unreadable, attributes in dense storage, a config that is not a string."""
    from tierguard.formats.hdf5 import read_hdf5_source

    where = member or art.path
    try:
        root = read_hdf5_source(src, MAX_HDF5_HEADER)
    except Incomplete as exc:
        art.incomplete.append(f"{where}: HDF5 root group not read ({exc}): Keras model config not checked")
        return
    for problem in root.problems:
        art.incomplete.append(f"{where}: {problem}: a Keras model config there is not checked")
    complete = not root.problems
    for name in _KERAS_CONFIGS:
        attr = root.attributes.get(name)
        if attr is None:
            continue
        if attr.value is None:
            art.incomplete.append(f"{where}: HDF5 attribute {name} not decoded ({attr.note})")
            complete = False
            continue
        scan_keras_config(art, attr.value.encode("utf-8", "surrogatepass"), member)
    if complete:
        art.inspected_units += 1


# ---------------------------------------------------------------- HF configs / remote code

_CROSS = re.compile(r"^([\w.-]+/[\w.-]+)--(.+)$")


def _auto_map_refs(cfg: Any) -> list[str]:
    am = cfg.get("auto_map") if isinstance(cfg, dict) else None
    refs: list[str] = []
    if isinstance(am, dict):
        for v in am.values():
            if isinstance(v, str):
                refs.append(v)
            elif isinstance(v, list):
                refs.extend(x for x in v if isinstance(x, str))
    elif isinstance(am, list):
        refs.extend(x for x in am if isinstance(x, str))
    return refs


def scan_hf_config(
    art: _Artifact, resolver: Resolver, ref: FileRef, raw: bytes, index: dict[str, FileRef] | None = None
) -> None:
    """auto_map (trust_remote_code) with a static review of the referenced modules, Keras-style configs,
    and ``chat_template`` in tokenizer configs (parsed, never rendered). ``index`` maps target paths to
    files (built once by the engine)."""
    try:
        cfg = json.loads(raw)
    except ValueError:
        return
    if isinstance(cfg, dict) and ("class_name" in cfg or "module" in cfg):
        scan_keras_config(art, raw, ref.member)
    tpl = cfg.get("chat_template") if isinstance(cfg, dict) else None
    templates = [tpl] if isinstance(tpl, str) else []
    if isinstance(tpl, list):
        for t in tpl:
            if isinstance(t, dict) and isinstance(t.get("template"), str):
                templates.append(t["template"])
    for text in templates:
        art.inspected_units += 1
        check_template(art, text[:MAX_TEMPLATE], ref.member)
    refs = _auto_map_refs(cfg)
    if not refs:
        return
    art.inspected_units += 1
    base_dir = posixpath.dirname(ref.path)
    seen_mods: set[str] = set()
    for r in refs:
        cross = _CROSS.match(r)
        if cross:
            art.add(
                "TG-RC-002",
                f"auto_map loads {cross.group(2)!r} from another repository {cross.group(1)!r}",
                ref.member,
                r,
            )
            continue
        art.add("TG-RC-001", f"auto_map requires trust_remote_code: {r}", ref.member, r)
        module = r.rsplit(".", 1)[0]
        if module in seen_mods:
            continue
        seen_mods.add(module)
        py = (
            posixpath.join(base_dir, module.replace(".", "/") + ".py")
            if base_dir
            else module.replace(".", "/") + ".py"
        )
        if index is not None:
            target = index.get(py)
        else:
            target = next((f for f in resolver.files() if f.member is None and f.path == py), None)
        if target is None:
            art.add("TG-RC-004", f"auto_map module {py} is not in the target", ref.member, py)
            art.incomplete.append(f"remote code {py} not present")
            continue
        review_python(art, resolver, target)


_NET_MODULES = ("socket", "requests", "urllib", "http", "httpx", "aiohttp", "ftplib", "smtplib", "paramiko")
_PROC = ("subprocess", "os.system", "os.popen", "os.exec", "os.spawn", "pty", "commands")
_DANGER_CALLS = {"eval", "exec", "compile", "__import__"}
_DECODERS = ("base64.b64decode", "base64.b85decode", "codecs.decode", "zlib.decompress", "marshal.loads",
             "bytes.fromhex", "binascii.unhexlify")  # fmt: skip


def _dotted(n: ast.AST) -> str:
    if isinstance(n, ast.Name):
        return n.id
    if isinstance(n, ast.Attribute):
        return f"{_dotted(n.value)}.{n.attr}"
    if isinstance(n, ast.Call):
        return _dotted(n.func)
    return ""


def review_python(art: _Artifact, resolver: Resolver, ref: FileRef) -> None:
    """Static AST review of a trust_remote_code module (ast.parse only; never imported)."""
    try:
        src = resolver.read_bytes(ref, min(ref.size, MAX_PY))
    except OSError as exc:
        art.incomplete.append(f"{ref.path}: unreadable ({exc})")
        return
    if ref.size > MAX_PY:
        art.incomplete.append(f"{ref.path}: larger than {MAX_PY} bytes, reviewed partially")
    try:
        tree = ast.parse(src)
    except (SyntaxError, ValueError) as exc:
        art.incomplete.append(f"{ref.path}: not parseable ({exc})")
        return
    art.inspected_units += 1
    aliases: dict[str, str] = {}
    hits: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                aliases[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                if a.name.split(".")[0] in _NET_MODULES + ("subprocess", "pty", "ctypes", "marshal"):
                    hits.append((f"import {a.name}", node.lineno))
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            if node.module.split(".")[0] in _NET_MODULES + ("subprocess", "pty", "ctypes", "marshal"):
                hits.append((f"from {node.module} import", node.lineno))
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            head, _, rest = name.partition(".")
            full = f"{aliases.get(head, head)}.{rest}" if rest else aliases.get(head, head)
            if full in _DANGER_CALLS or full.startswith(_PROC) or full.split(".")[0] in _NET_MODULES:
                hits.append((full, node.lineno))
            if (
                full in _DANGER_CALLS
                and node.args
                and any(_dotted(a).startswith(_DECODERS) or _dotted(a) in _DECODERS for a in node.args)
            ):
                hits.append((f"{full}(decoded payload) [obfuscation]", node.lineno))
            if full in ("open", "io.open", "builtins.open") and len(node.args) >= 2:
                m = node.args[1]
                if (
                    isinstance(m, ast.Constant)
                    and isinstance(m.value, str)
                    and any(c in m.value for c in "wa+")
                ):
                    hits.append(("open(..., write)", node.lineno))
    for what, line in hits:
        art.add(
            "TG-RC-003",
            f"{ref.path}:{line}: {what}",
            None,
            f"{ref.path}:{what}",
            file=ref.path,
            line=str(line),
        )


# ---------------------------------------------------------------- GGUF

MAX_GGUF_METADATA = 64 * 1024 * 1024  # bytes of GGUF metadata read (token lists of large vocabularies fit)


def scan_gguf(art: _Artifact, src: RandomSource, member: str | None) -> None:
    """Read the GGUF metadata with :mod:`tierguard.formats.gguf` and check every chat template. Metadata
    not read to its end (budget, structure) leaves the artifact incomplete."""
    from tierguard.formats.gguf import GGUFCounts, read_gguf_source

    try:
        header, _ = read_gguf_source(src, MAX_GGUF_METADATA)
    except GGUFCounts as exc:
        art.add("TG-GGUF-001", f"GGUF {exc.detail}", member, "gguf-count")
        art.incomplete.append("GGUF header counts out of bounds")
        return
    except Incomplete as exc:
        if exc.reason == "budget":
            art.incomplete.append(f"GGUF metadata over the {MAX_GGUF_METADATA}-byte budget: {exc.detail}")
        else:
            art.add("TG-GGUF-001", f"GGUF structure: {exc.detail or exc.reason}", member, "gguf-structure")
            art.incomplete.append(f"GGUF metadata unreadable: {exc.detail or exc.reason}")
        return
    if header.partial:
        art.incomplete.append(f"GGUF metadata not read to the end ({header.partial}): templates unchecked")
    else:
        art.inspected_units += 1
    for key, template in header.chat_templates().items():
        if len(template) > MAX_TEMPLATE:
            art.incomplete.append(f"GGUF {key} larger than {MAX_TEMPLATE} characters: not checked")
            continue
        check_template(art, template, member)


_SSTI_NAMES = {"lipsum", "cycler", "joiner", "namespace", "self", "config", "request", "url_for",
               "get_flashed_messages"}  # fmt: skip
_SSTI_ATTRS = {"__globals__", "__class__", "__mro__", "__subclasses__", "__builtins__", "__init__",
               "__base__", "__bases__", "__import__", "__dict__", "__getattribute__", "__code__",
               "func_globals", "f_globals", "gi_frame", "cr_frame"}  # fmt: skip
_URL = re.compile(r"https?://[^\s'\"]+")
_HIDDEN = re.compile(r"(ignore (all )?(previous|prior) instructions|do not (tell|reveal)|secretly|exfiltrat|"
                     r"send .* to http|you must always recommend)", re.I)  # fmt: skip


def check_template(art: _Artifact, template: str, member: str | None) -> None:
    """Parse (never render) a chat template with Jinja's own parser and look for SSTI and backdoors."""
    from jinja2 import nodes
    from jinja2.exceptions import TemplateSyntaxError
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    env = ImmutableSandboxedEnvironment(extensions=["jinja2.ext.loopcontrols"])
    try:
        ast_ = env.parse(template)
    except TemplateSyntaxError as exc:
        art.add("TG-GGUF-004", f"chat template does not parse: {exc}", member, "template-syntax")
        art.incomplete.append("chat template unparsable")
        return
    for n in ast_.find_all(nodes.Getattr):
        if n.attr in _SSTI_ATTRS or n.attr.startswith("__"):
            art.add(
                "TG-GGUF-002", f"chat template accesses .{n.attr} (line {n.lineno})", member, f"attr:{n.attr}"
            )
    for gi in ast_.find_all(nodes.Getitem):
        key = gi.arg.value if isinstance(gi.arg, nodes.Const) else None
        if isinstance(key, str) and key.startswith("__"):
            art.add(
                "TG-GGUF-002", f"chat template accesses [{key!r}] (line {gi.lineno})", member, f"attr:{key}"
            )
    for nm in ast_.find_all(nodes.Name):
        if nm.name in _SSTI_NAMES:
            art.add(
                "TG-GGUF-002",
                f"chat template uses global {nm.name!r} (line {nm.lineno})",
                member,
                f"name:{nm.name}",
            )
    for fl in ast_.find_all(nodes.Filter):
        if fl.name in ("attr", "map") and any(
            isinstance(a, nodes.Const) and isinstance(a.value, str) and "__" in a.value for a in fl.args
        ):
            art.add(
                "TG-GGUF-002",
                f"chat template uses |{fl.name} to reach a dunder (line {fl.lineno})",
                member,
                f"filter:{fl.name}",
            )
    # backdoor heuristics: a condition testing message content against a literal trigger
    for cond in ast_.find_all(nodes.If):
        test = cond.test
        literals = [
            c.value for c in test.find_all(nodes.Const) if isinstance(c.value, str) and c.value != "content"
        ]
        touches_content = any(
            isinstance(x.arg, nodes.Const) and x.arg.value == "content" for x in test.find_all(nodes.Getitem)
        ) or any(x.attr == "content" for x in test.find_all(nodes.Getattr))
        if touches_content and literals:
            trig = literals[0][:40]
            art.add(
                "TG-GGUF-003",
                f"chat template branches on message content matching {trig!r} (line {cond.lineno})",
                member,
                f"trigger:{trig}",
            )
    for d in ast_.find_all(nodes.TemplateData):
        _literal_checks(art, d.data, member)
    for c in ast_.find_all(nodes.Const):
        if isinstance(c.value, str):
            _literal_checks(art, c.value, member)


def _literal_checks(art: _Artifact, text: str, member: str | None) -> None:
    for u in _URL.findall(text):
        art.add("TG-GGUF-003", f"chat template injects a URL {u[:80]}", member, f"url:{u[:80]}")
    m = _HIDDEN.search(text)
    if m:
        art.add("TG-GGUF-003", f"chat template carries a hidden instruction {m.group(0)[:60]!r}", member,
                f"hidden:{m.group(0)[:60]}")  # fmt: skip


# ---------------------------------------------------------------- ONNX (minimal protobuf)

MAX_ONNX_SCAN = 64 * 1024 * 1024


def scan_onnx(art: _Artifact, src: RandomSource, member: str | None) -> None:
    if src.size > MAX_ONNX_SCAN:
        art.not_inspected.append(f"ONNX file larger than {MAX_ONNX_SCAN} bytes: external_data not checked")
        return
    data = src.read(0, src.size)
    try:
        locs: list[str] = []
        for fno, wt, v in fields(data):
            if fno == 7 and wt == 2 and isinstance(v, bytes):  # ModelProto.graph
                for gf, gw, gv in fields(v):
                    if gf == 5 and gw == 2 and isinstance(gv, bytes):  # GraphProto.initializer
                        locs.extend(external_locations(gv))
    except ValueError as exc:
        art.incomplete.append(f"ONNX protobuf unreadable: {exc}")
        return
    art.inspected_units += 1
    for loc in locs:
        norm = posixpath.normpath(loc.replace("\\", "/"))
        if (
            loc.startswith(("/", "\\"))
            or re.match(r"^[A-Za-z]:", loc)
            or norm.startswith("..")
            or "/../" in f"/{norm}/"
        ):
            art.add("TG-ONNX-001", f"external_data location {loc!r} escapes the model directory", member, loc)
