"""Inspection rules: the single source of truth for rule IDs, names, severities and help text.

Reporters (SARIF ``rules[]``, HTML, docs) read :data:`RULES`; findings carry ``rule_id`` and
``Finding.subject`` (the import, member or key the finding is about) for stable identity.
"""

from __future__ import annotations

from tierguard.model import RuleInfo, Severity


def _r(rid: str, name: str, severity: Severity, short: str, help_: str) -> RuleInfo:
    return RuleInfo(id=rid, name=name, short=short, help=help_, severity=severity, source="inspect")


RULES: dict[str, RuleInfo] = {
    r.id: r
    for r in (
        _r(
            "TG-PKL-001",
            "pickle-dangerous-import",
            "critical",
            "Pickle imports a known code-execution, file, network or loader gadget",
            "The pickle resolves a global (GLOBAL, INST or STACK_GLOBAL, or an attribute path or getattr "
            "chain that reaches one) on the curated gadget list (inspect/data/imports.yaml, each entry "
            "sourced from the picklescan and fickling advisories): os/posix/nt/subprocess, builtins "
            "eval/exec/getattr, "
            "runpy, pydoc, profilers and debuggers, pkgutil.resolve_name, _aix_support/_osx_support/uuid "
            "helpers, logging handlers, torch config/datapipe loaders, pip, venv, mailcap ... Loading this "
            "file runs code.",
        ),
        _r(
            "TG-PKL-002",
            "pickle-non-allowlisted-import",
            "high",
            "Pickle imports a global outside the framework allowlist",
            "Default deny: loading a pickle calls every callable it imports, so an import that is not on the "
            "allowlist of reconstruction helpers and framework data classes (torch rebuild helpers, numpy, "
            "collections.OrderedDict, scikit-learn estimators ...; inspect/data/imports.yaml) fails the "
            "default gate. Review the class; prefer safetensors.",
        ),
        _r(
            "TG-PKL-003",
            "pickle-unresolved-import",
            "high",
            "Pickle import whose module or name cannot be resolved statically",
            "STACK_GLOBAL operands are not strings, come from an invalid memo key or a stack underflow; "
            "the target of the import is unknown, which only obfuscated pickles do.",
        ),
        _r(
            "TG-PKL-004",
            "pickle-corrupt-stream",
            "medium",
            "Pickle stream is corrupt or truncated; the rest of the file was not inspected",
            "An unknown opcode, a truncated argument, a missing STOP or a memo reference (GET, BINGET, "
            "LONG_BINGET) to an index never stored ended or broke the walk. Opcodes before the break were "
            "inspected and are reported; a loader may still execute them (nullifAI). The artifact is "
            "incomplete.",
        ),
        _r(
            "TG-PKL-005",
            "pickle-frame-mismatch",
            "medium",
            "Pickle FRAME length disagrees with the opcodes it contains",
            "A protocol 4+ FRAME announces a length that does not end at an opcode boundary; scanners and "
            "loaders may disagree on what the stream contains.",
        ),
        _r(
            "TG-PKL-006",
            "pickle-allowlisted-import",
            "info",
            "Pickle imports allowlisted reconstruction helpers only",
            "Informational: the imports are on the framework allowlist.",
        ),
        _r(
            "TG-PKL-007",
            "pickle-global-mutation",
            "high",
            "Pickle sets attributes on an imported global (BUILD on a class, function or module)",
            "BUILD applied to what GLOBAL/STACK_GLOBAL pushed changes a module-level object while loading "
            "(numpy.prod.a = 'os'), so later imports no longer mean what they say; framework pickles only "
            "BUILD the objects they create.",
        ),
        _r(
            "TG-ZIP-001",
            "archive-encrypted-member",
            "medium",
            "Encrypted archive member: not inspected",
            "The member is encrypted (zip flag 0x1 or an encrypted 7z); its content could not be inspected.",
        ),
        _r(
            "TG-ZIP-002",
            "zip-name-mismatch",
            "high",
            "Zip local header and central directory disagree on a member name",
            "Different zip readers see different files; a classic scanner evasion.",
        ),
        _r(
            "TG-ZIP-003",
            "zip-crc-mismatch",
            "medium",
            "Zip member CRC does not match its content",
            "Some loaders ignore the CRC; the member was inspected as read.",
        ),
        _r(
            "TG-ZIP-004",
            "zip-unusual-flags",
            "low",
            "Zip member uses unusual general-purpose flags (0x20 patched data, 0x40 strong encryption)",
            "Unusual flag bits that some readers ignore; the member was inspected as stored.",
        ),
        _r(
            "TG-ZIP-005",
            "archive-unsupported",
            "medium",
            "Archive or member could not be opened (unsupported method, corrupt, too deep)",
            "The content could not be inspected: not clean.",
        ),
        _r(
            "TG-ZIP-006",
            "zip-views-disagree",
            "high",
            "Zip central directory and local headers disagree",
            "The end record, the central directory and the local file headers (walked from the start of "
            "the archive) disagree on the members: their count, a name, an offset, sizes, flags, method or "
            "CRC, a member only one view shows, two members of one name, or a missing end record. Different "
            "readers then see different files (scanner evasion); every member either view names was "
            "inspected.",
        ),
        _r(
            "TG-TAR-001",
            "tar-hidden-member",
            "high",
            "Tar member after the end-of-archive marker or an unreadable block",
            "Readers that stop at the first zero block (or at an invalid header) do not see this member; "
            "others (tar --ignore-zeros, concatenated archives) extract it. It was inspected.",
        ),
        _r(
            "TG-KRS-001",
            "keras-lambda-layer",
            "high",
            "Keras model contains a Lambda layer (serialized Python bytecode)",
            "Lambda layers carry marshalled bytecode that runs when the model is loaded.",
        ),
        _r(
            "TG-KRS-002",
            "keras-module-reference",
            "medium",
            "Keras config references a module outside keras",
            "A layer or object references an arbitrary Python module/class that is imported on load.",
        ),
        _r(
            "TG-ONNX-001",
            "onnx-external-data-traversal",
            "high",
            "ONNX external_data location escapes the model directory",
            "external_data location is absolute, contains '..' or is a symlink out of the directory.",
        ),
        _r(
            "TG-GGUF-001",
            "gguf-structure-overflow",
            "high",
            "GGUF count or length exceeds the file size",
            "A header or key/value count or length is larger than the file can hold (parser overflow bait).",
        ),
        _r(
            "TG-GGUF-002",
            "chat-template-injection",
            "critical",
            "Chat template reaches Python internals (server-side template injection)",
            "The Jinja template (parsed, never rendered) uses __globals__, __class__, __mro__, "
            "__subclasses__, __builtins__, lipsum, cycler, joiner, namespace or attr() tricks.",
        ),
        _r(
            "TG-GGUF-003",
            "chat-template-backdoor",
            "high",
            "Chat template branches on user content or injects hidden instructions/URLs",
            "Behavioural backdoor heuristics: conditions on message content with literal trigger strings, "
            "hidden instructions or URLs in template literals.",
        ),
        _r(
            "TG-GGUF-004",
            "chat-template-unparsable",
            "medium",
            "Chat template could not be parsed",
            "The template is not valid Jinja; it was not inspected.",
        ),
        _r(
            "TG-ST-001",
            "safetensors-header-overflow",
            "high",
            "safetensors header length or tensor offsets reach beyond the file",
            "The 8-byte header length exceeds the file or the format's 100,000,000-byte limit, or a tensor's "
            "data_offsets end beyond the data section: a truncated or forged file (parser overflow bait). "
            "The reference reader refuses it; readers that do not check may read out of bounds.",
        ),
        _r(
            "TG-ST-002",
            "safetensors-layout",
            "high",
            "safetensors tensors overlap, leave gaps or untiled bytes, or disagree with shape x dtype",
            "The tensors, sorted by offset, must tile the data section exactly, each spanning element "
            "count x dtype size bytes. Overlaps make readers disagree; bytes no tensor covers (gaps, data "
            "after the last tensor) are room for a second format in the same file (a polyglot, e.g. a zip "
            "a PyTorch loader would open).",
        ),
        _r(
            "TG-ST-003",
            "safetensors-header-malformed",
            "medium",
            "safetensors header is not valid: JSON, descriptors, dtype or __metadata__",
            "The header is not UTF-8 JSON (or holds duplicate keys, NaN/Infinity, lone surrogates on which "
            "JSON readers disagree), is not an object, a tensor descriptor lacks a valid dtype/shape/"
            "data_offsets, a dtype is unknown, or __metadata__ is not a string-to-string map. When the "
            "tensor table or a descriptor could not be read the file is also incomplete.",
        ),
        _r(
            "TG-RC-001",
            "remote-code-auto-map",
            "medium",
            "Model config requires trust_remote_code (auto_map)",
            "config.json / tokenizer_config.json / processor config declares auto_map: loading runs the "
            "referenced Python files.",
        ),
        _r(
            "TG-RC-002",
            "remote-code-cross-repo",
            "high",
            "auto_map references code in another repository",
            "An auto_map entry 'other/repo--module.Class' loads code from a repository other than the "
            "model's.",
        ),
        _r(
            "TG-RC-003",
            "remote-code-dangerous-call",
            "high",
            "Remote-code Python file uses exec/eval, subprocess, network or obfuscation",
            "Static AST review (never imported) of a trust_remote_code module found dangerous calls.",
        ),
        _r(
            "TG-RC-004",
            "remote-code-missing-module",
            "medium",
            "auto_map references a module that is not present",
            "The referenced .py file is not in the target and could not be reviewed.",
        ),
    )
}


def rules_markdown() -> str:
    """The rules table of docs/inspect.md, generated from :data:`RULES` (tests keep the doc in sync)."""
    lines = ["| ID | Name | Severity | Summary |", "|---|---|---|---|"]
    for r in RULES.values():
        lines.append(f"| {r.id} | {r.name} | {r.severity} | {r.short} |")
    return "\n".join(lines) + "\n"
