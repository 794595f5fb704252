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
            "The pickle resolves a global (GLOBAL, INST or STACK_GLOBAL) that is a known gadget: os/posix/nt/"
            "subprocess, builtins eval/exec/compile/getattr/__import__, runpy, pydoc, bdb, pickle.loads, "
            "torch._inductor/_dynamo/jit/collect_env/bottleneck, numpy f2py/testing, pip, socket ... Loading "
            "this file runs code.",
        ),
        _r(
            "TG-PKL-002",
            "pickle-non-allowlisted-import",
            "medium",
            "Pickle imports a global outside the framework allowlist",
            "Default deny: every import that is not a known-safe reconstruction helper (torch rebuild "
            "helpers, numpy reconstruct/dtype, collections.OrderedDict ...) is suspicious. Review the class; "
            "prefer safetensors.",
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
            "An unknown opcode, a truncated argument or a missing STOP ended the walk. Opcodes before the "
            "break were inspected and are reported; a loader may still execute them (nullifAI).",
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
