"""An image's configuration as Dockerfile lines, so the detectors that read Dockerfiles read it too: a
synthetic file ``.image-config/Dockerfile`` in the image's listing (it is not a file in the image; its first
lines say so and name the image, manifest, config and layer digests).

What it holds: ``FROM <the image's own name>`` (when one is known: a serving image such as
``vllm/vllm-openai`` makes model arguments self-hosted), ``LABEL`` and ``ENV`` lines (values JSON-quoted, so
a newline in a value cannot start a line of its own; values of keys named like secrets -- ``*KEY*``,
``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*`` -- replaced by their length: the key name is the evidence, the
secret stays out of reports), ``WORKDIR``, ``USER``, ``EXPOSE``, ``ENTRYPOINT`` and ``CMD`` exactly as
configured (JSON), then the command the container runs (Entrypoint followed by Cmd) as one shell-form
``ENTRYPOINT`` line (``vllm serve Qwen/...``, ``ollama run deepseek-r1``, ``text-generation-launcher
--model-id ...``), and the build history's commands as comments (what built the image; a comment is a
mention, never a deny).
"""

from __future__ import annotations

import json
import re
import shlex
from typing import Any

from tierguard.targets.image_layout import ImageSpec

MAX_SIZE = 4 << 20
MAX_ITEMS = 10_000  # env entries, labels, history steps
_SECRET = re.compile(r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH", re.I)
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_BUILDKIT = re.compile(r"\s*# buildkit$")
_SHELL_PREFIX = re.compile(r"^(?:\|\d+\s+(?:\S+=\S*\s+)*)?/bin/(?:ba)?sh -c\s+")


def _q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def _key(k: str) -> str:
    return k if _PLAIN_KEY.fullmatch(k) else _q(k)


def _strs(v: Any) -> list[str] | None:
    if isinstance(v, list) and all(isinstance(x, str) for x in v):
        return list(v[:MAX_ITEMS])
    if isinstance(v, str):
        return [v]
    return None


def _one_line(s: str) -> str:
    return s.replace("\r", "\\r").replace("\n", "\\n")


def _env(cfg: dict[str, Any]) -> list[str]:
    out: list[str] = []
    for item in _strs(cfg.get("Env")) or []:
        k, sep, v = item.partition("=")
        if not k:
            continue
        if sep and _SECRET.search(k) and v and not v.startswith(("http://", "https://")):
            v = f"<redacted: {len(v)} characters>"
        out.append(f"ENV {_key(k)}={_q(v)}")
    return out


def _labels(cfg: dict[str, Any]) -> list[str]:
    labels = cfg.get("Labels")
    if not isinstance(labels, dict):
        return []
    return [f"LABEL {_q(str(k))}={_q(str(v))}" for k, v in list(labels.items())[:MAX_ITEMS]]


def _history(config: dict[str, Any]) -> list[str]:
    hist = config.get("history")
    if not isinstance(hist, list):
        return []
    out = ["# build history (the commands that built the image):"]
    for h in hist[:MAX_ITEMS]:
        cmd = h.get("created_by") if isinstance(h, dict) else None
        if isinstance(cmd, str) and cmd.strip():
            cmd = _SHELL_PREFIX.sub("", _BUILDKIT.sub("", cmd.strip())).replace("#(nop) ", "").strip()
            out.append(f"#   {_one_line(cmd)}")
    return out if len(out) > 1 else []


def _header(img: ImageSpec) -> list[str]:
    lines = [
        "# tierguard: this image's configuration as Dockerfile lines (synthesised, not a file in the image)",
        f"# image: {_one_line(', '.join(img.refs) or img.label)}",
    ]
    for what, value in (
        ("manifest", img.manifest_digest),
        ("config", img.config_digest),
        ("platform", img.platform),
    ):
        if value:
            lines.append(f"# {what}: {_one_line(value)}")
    for layer in img.layers:
        lines.append(f"# {_one_line(layer.describe(len(img.layers)))}")
    return lines


def config_dockerfile(img: ImageSpec) -> bytes:
    """The synthetic Dockerfile of ``img`` (see the module docstring), at most :data:`MAX_SIZE` bytes."""
    config = img.config or {}
    cfg = config.get("config") if isinstance(config.get("config"), dict) else {}
    assert isinstance(cfg, dict)
    lines = _header(img)
    if img.refs:
        lines.append(f"FROM {_one_line(img.refs[0])}")
    lines += _labels(cfg) + _env(cfg)
    for key, instr in (("WorkingDir", "WORKDIR"), ("User", "USER")):
        v = cfg.get(key)
        if isinstance(v, str) and v:
            lines.append(f"{instr} {_one_line(v)}")
    ports = cfg.get("ExposedPorts")
    if isinstance(ports, dict) and ports:
        lines.append("EXPOSE " + " ".join(_one_line(str(p)) for p in list(ports)[:MAX_ITEMS]))
    entry = _strs(cfg.get("Entrypoint")) or []
    cmd = _strs(cfg.get("Cmd")) or []
    if entry:
        lines.append(f"ENTRYPOINT {json.dumps(entry, ensure_ascii=False)}")
    if cmd:
        lines.append(f"CMD {json.dumps(cmd, ensure_ascii=False)}")
    if entry or cmd:
        lines.append("# the command the container runs (Entrypoint, then Cmd), in shell form:")
        lines.append(f"ENTRYPOINT {_one_line(shlex.join(entry + cmd))}")
    lines += _history(config)
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    return data[:MAX_SIZE]
