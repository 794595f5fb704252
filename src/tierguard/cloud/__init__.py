"""Cloud AI inventories: the models an organisation deploys in Amazon Bedrock, Amazon SageMaker, Azure AI
Foundry / Azure OpenAI and Google Vertex AI, read from exported JSON (no credentials) or, for AWS, collected
live with read-only calls.

Interface:

- ``sniff(head: bytes, name: str = "") -> str | None``: the format id of a cloud export from its first
  bytes (one of ``FORMATS``: ``aws-bedrock-models``, ``aws-bedrock-inference-profiles``,
  ``aws-bedrock-provisioned``, ``aws-sagemaker-endpoints``, ``aws-sagemaker-endpoint``,
  ``aws-sagemaker-endpoint-config``, ``aws-sagemaker-model``, ``azure-deployments``, ``azure-accounts``,
  ``gcp-vertex-endpoints``, ``gcp-vertex-models``, ``tierguard-aws-collect``); None for anything else. By
  content only; the name is not used.
- ``sniff_dir(path) -> bool``: True when ``path`` is a directory of cloud exports (at least one, and every
  other file a README or text note), so it can be read as one inventory instead of as code.
- ``read_cloud(path, *, catalog, options=None) -> CloudOutput``: read one export or a directory of them (one
  inventory: SageMaker endpoints are joined to their configs and models, Vertex endpoints to their models,
  Azure deployments to their accounts' regions, across files) into ``CloudOutput(assets, evidence, skipped,
  notes, formats, deployments)``. Each deployed model is an ``ai-model`` asset named by its canonical name
  with its producers from the catalog and one ``Usage`` per deployment (``hosted-api``, the service with
  its operator and jurisdiction, ``host`` = account / subscription / project, ``location`` = export and line
  of the record, ``as_written`` = the model id, an excerpt with region and resource id); each cloud service
  used is an ``ai-service`` asset named as the code scan names it (``Amazon Bedrock``, ``Amazon
  SageMaker``, ``Azure OpenAI / Azure AI Foundry``, ``Google Gemini / Vertex AI API``), so code and cloud
  findings merge. Strength A when the service's own field names the model (a Bedrock model ARN, a container's
  ``HF_MODEL_ID``, an Azure deployment's model name, a Model Garden source), B when only a name the user
  chose does (an imported model's name, a display name). A file that cannot be opened or is no cloud export
  raises ``TargetError``; inside a directory such a file is a counted ``Skipped`` (``unsupported-export``);
  bad JSON (truncated, not UTF-8, too deep, too large) and records not of the claimed shape are counted
  ``Skipped`` with the reason (``malformed``, ``too-large``, ``incomplete`` for a later page or a joined
  record that is missing). Nothing is executed; every read is bounded (``CloudOptions``).
- ``tierguard.cloud.live_aws.collect_aws(out_dir, ...)``: the live, read-only AWS path (boto3, only
  ``List*``/``Describe*``/``Get*`` calls, enforced per call): writes the responses as the AWS CLI would print
  them into ``out_dir``, which ``read_cloud`` then reads like any export directory (one code path).

Fields read, with their references, and the IAM actions the live path needs: docs/cloud.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tierguard.cloud.azure import AzureState
from tierguard.cloud.bedrock import BedrockState
from tierguard.cloud.build import AssetBuilder
from tierguard.cloud.collect_log import read_collect_log
from tierguard.cloud.jsonio import MAX_BYTES, MAX_DEPTH, BadJson, load
from tierguard.cloud.records import Deployment, Issues
from tierguard.cloud.sagemaker import SageMakerState
from tierguard.cloud.sniff import FORMATS, HEAD, sniff
from tierguard.cloud.vertex import VertexState
from tierguard.errors import TargetError
from tierguard.model import Asset, Evidence, Skipped

if TYPE_CHECKING:
    from tierguard.catalog import Catalog

__all__ = ["FORMATS", "CloudOptions", "CloudOutput", "read_cloud", "sniff", "sniff_dir"]

_NOTE_NAMES = (".md", ".txt", ".rst")


@dataclass(frozen=True, slots=True)
class CloudOptions:
    """Bounds and naming. ``display``: how locations name the input (default: the path as given when
    relative, else its name: evidence ids hash locations, so an absolute path would tie them to one
    machine)."""

    max_bytes: int = MAX_BYTES  # per export file
    max_depth: int = MAX_DEPTH  # JSON nesting
    max_files: int = 10_000  # files read from a directory (the rest are counted as skipped)
    display: str | None = None


@dataclass(slots=True)
class CloudOutput:
    assets: list[Asset] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    formats: dict[str, int] = field(default_factory=dict)  # files read per format
    deployments: int = 0


@dataclass(slots=True)
class _Inventory:
    issues: Issues = field(default_factory=Issues)
    bedrock: BedrockState = field(default_factory=BedrockState)
    sagemaker: SageMakerState = field(default_factory=SageMakerState)
    azure: AzureState = field(default_factory=AzureState)
    vertex: VertexState = field(default_factory=VertexState)
    formats: dict[str, int] = field(default_factory=dict)

    def read(self, path: Path, display: str, fmt: str, options: CloudOptions) -> None:
        try:
            doc = load(path, options.max_bytes, options.max_depth)
        except BadJson as exc:
            self.issues.skip(display, exc.reason, f"{fmt}: {exc.detail}")
            return
        self.formats[fmt] = self.formats.get(fmt, 0) + 1
        if fmt.startswith("aws-bedrock-"):
            self.bedrock.add(fmt, doc, display, self.issues)
        elif fmt.startswith("aws-sagemaker-"):
            self.sagemaker.add(fmt, doc, display, self.issues)
        elif fmt.startswith("azure-"):
            self.azure.add(fmt, doc, display, self.issues)
        elif fmt.startswith("gcp-vertex-"):
            self.vertex.add(fmt, doc, display, self.issues)
        else:
            read_collect_log(doc, display, self.issues)

    def deployments(self) -> list[Deployment]:
        out = self.bedrock.deployments(self.issues) + self.sagemaker.deployments(self.issues)
        return out + self.azure.deployments_out(self.issues) + self.vertex.deployments(self.issues)


def read_cloud(path: Path, *, catalog: Catalog, options: CloudOptions | None = None) -> CloudOutput:
    """Read one cloud export, or a directory of them as one inventory (see the module docstring)."""
    opts = options or CloudOptions()
    display = opts.display or (str(path) if not path.is_absolute() else path.name)
    inv = _Inventory()
    if path.is_dir():
        _read_dir(path, display, inv, opts)
    elif path.is_file():
        fmt = _sniff_file(path)
        if fmt is None:
            raise TargetError(
                f"{display}: not a cloud AI export tierguard reads (AWS CLI Bedrock/SageMaker, az "
                "cognitiveservices deployments/accounts, gcloud ai endpoints/models JSON)"
            )
        inv.read(path, display, fmt, opts)
    else:
        raise TargetError(f"{display}: not a file or directory")
    deployments = inv.deployments()
    builder = AssetBuilder(catalog)
    for dep in deployments:
        builder.add(dep)
    out = CloudOutput(
        assets=builder.assets(),
        evidence=builder.evidence,
        skipped=inv.issues.skipped,
        notes=inv.issues.notes,
        formats=dict(sorted(inv.formats.items())),
        deployments=len(deployments),
    )
    read = ", ".join(f"{n} {f}" for f, n in out.formats.items()) or "no exports"
    models = sum(1 for a in out.assets if a.kind == "ai-model")
    out.notes.insert(0, f"cloud: {display}: {read}; {len(deployments)} deployments of {models} models")
    return out


def _sniff_file(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            head = fh.read(HEAD)
    except OSError as exc:
        raise TargetError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return sniff(head, path.name)


def _files(root: Path, max_files: int, issues: Issues, display: str) -> list[tuple[Path, str]]:
    """Regular files under ``root`` (sorted, symlinks not followed), with their display paths."""
    out: list[tuple[Path, str]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for name in sorted(filenames):
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            shown = f"{display.rstrip('/')}/{rel}"
            if p.is_symlink():
                issues.skip(shown, "symlink-not-followed", "a symbolic link in a cloud export directory")
            elif len(out) >= max_files:
                issues.skip(shown, "incomplete", f"past the {max_files:,} files read from one directory")
            elif p.is_file():
                out.append((p, shown))
    return out


def _read_dir(root: Path, display: str, inv: _Inventory, opts: CloudOptions) -> None:
    for p, shown in _files(root, opts.max_files, inv.issues, display):
        try:
            fmt = _sniff_file(p)
        except TargetError as exc:
            inv.issues.skip(shown, "unreadable", str(exc))
            continue
        if fmt is None:
            if not p.name.lower().endswith(_NOTE_NAMES) and not p.name.lower().startswith("readme"):
                inv.issues.skip(shown, "unsupported-export", "not a cloud AI export tierguard reads")
            continue
        inv.read(p, shown, fmt, opts)


def sniff_dir(path: Path, *, max_files: int = 2_000) -> bool:
    """True when ``path`` is a directory holding at least one cloud export and nothing else but README or
    text notes (``.md``, ``.txt``, ``.rst``), within ``max_files`` files (hidden directories such as
    ``.git`` are not looked into; hidden files count: a ``.env`` keeps the directory a code target)."""
    if not path.is_dir():
        return False
    found = False
    seen = 0
    for dirpath, dirnames, filenames in os.walk(path, followlinks=False):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            seen += 1
            if seen > max_files:
                return False
            low = name.lower()
            # notes only: a hidden file (.env, .mcp.json) can hold a provider key, so it keeps the
            # directory a code target (routing it as exports would leave that file unscanned)
            if low.startswith("readme") or low.endswith(_NOTE_NAMES):
                continue
            p = Path(dirpath) / name
            try:
                fmt = _sniff_file(p) if p.is_file() and not p.is_symlink() else None
            except TargetError:
                return False
            if fmt is None:
                return False
            found = True
    return found
