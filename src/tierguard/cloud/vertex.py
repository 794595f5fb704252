"""Google Cloud Vertex AI exports -> deployments.

Read (Vertex AI REST reference v1, ``projects.locations.endpoints`` and ``projects.locations.models``;
``gcloud ai endpoints list --format=json`` and ``gcloud ai models list --format=json`` print the same
resources as a bare array):

- Endpoint: ``name`` (``projects/P/locations/R/endpoints/E``), ``displayName``, ``deployedModels[]``
  (``id``, ``model``, ``displayName``, ``modelVersionId``, ``dedicatedResources.machineSpec``);
- Model: ``name``, ``displayName``, ``containerSpec`` (``imageUri``, ``args``, ``env[]`` name/value),
  ``artifactUri``, ``baseModelSource.modelGardenSource.publicModelName``
  (``publishers/qwen/models/qwen2_5``), ``deployedModels[]`` (``endpoint``, ``deployedModelId``).

The model a deployment serves is named, strongest first, by the serving container's environment
(``MODEL_ID``, ``HF_MODEL_ID`` ...) or arguments (``--model=Qwen/...``, ``--model-id``) and the Model Garden
source (strength A), then the artifact path and the display names (chosen by the user: strength B).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tierguard.cloud.jsonio import Document, arr, obj, text
from tierguard.cloud.records import Deployment, Issues, looks_like_model_id, page_records, path_names

_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/(endpoints|models)/([^/@]+)(?:@[^/]*)?$")
_ENV_KEYS = ("MODEL_ID", "HF_MODEL_ID", "MODEL_NAME", "HUGGING_FACE_HUB_MODEL_ID")
_ARG = re.compile(r"^--(?:model|model[-_]id|model[-_]name|model[-_]path)(?:=(.+))?$")
_PUBLISHER = re.compile(r"^(?:projects/[^/]+/locations/[^/]+/)?publishers/([^/]+)/models/([^/@\s]+)")


@dataclass(slots=True)
class _Model:
    name: str  # resource name without @version
    project: str
    region: str
    display: str | None
    written: str | None  # the model id the container or Model Garden names
    source: str | None  # where it came from (env MODEL_ID, --model, model garden)
    alternates: tuple[str, ...]
    image: str | None
    path: str
    line: int


@dataclass(slots=True)
class _Deployed:
    endpoint: str
    endpoint_display: str | None
    project: str
    region: str
    model: str | None
    display: str | None
    deployed_id: str | None
    machine: str | None
    path: str
    line: int


@dataclass(slots=True)
class VertexState:
    models: dict[str, _Model] = field(default_factory=dict)
    deployed: list[_Deployed] = field(default_factory=list)

    def add(self, fmt: str, doc: Document, path: str, issues: Issues) -> None:
        key = "endpoints" if fmt == "gcp-vertex-endpoints" else "models"
        records = page_records(doc.data, key, "nextPageToken", path, fmt, issues)
        if records is None:
            return
        for i, rec in enumerate(records):
            if not isinstance(rec, dict):
                issues.bad(path, 1, fmt, f"item {i} is not an object")
            elif key == "endpoints":
                self._endpoint(rec, doc, path, fmt, issues)
            else:
                self._model(rec, doc, path, fmt, issues)

    def _endpoint(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        name = text(rec.get("name"), 512)
        line = doc.line_of(name)
        m = _NAME.match(name or "")
        if name is None or m is None or m.group(3) != "endpoints":
            issues.bad(path, line, fmt, "name is missing or not a Vertex AI endpoint name")
            return
        for dm in arr(rec.get("deployedModels"))[:1000]:
            dm = obj(dm)
            spec = obj(obj(dm.get("dedicatedResources")).get("machineSpec"))
            machine = " ".join(
                str(v) for v in (spec.get("machineType"), spec.get("acceleratorType")) if isinstance(v, str)
            )
            self.deployed.append(
                _Deployed(
                    endpoint=name,
                    endpoint_display=text(rec.get("displayName"), 256),
                    project=m.group(1),
                    region=m.group(2),
                    model=text(dm.get("model"), 512),
                    display=text(dm.get("displayName"), 256),
                    deployed_id=text(dm.get("id"), 64),
                    machine=machine or None,
                    path=path,
                    line=line,
                )
            )

    def _model(self, rec: dict[str, Any], doc: Document, path: str, fmt: str, issues: Issues) -> None:
        name = text(rec.get("name"), 512)
        line = doc.line_of(name)
        m = _NAME.match(name or "")
        if name is None or m is None or m.group(3) != "models":
            issues.bad(path, line, fmt, "name is missing or not a Vertex AI model name")
            return
        spec = obj(rec.get("containerSpec"))
        written, source = _container_model(spec)
        garden = text(obj(obj(rec.get("baseModelSource")).get("modelGardenSource")).get("publicModelName"))
        garden = garden or text(obj(obj(rec.get("baseModelSource")).get("genieSource")).get("baseModelUri"))
        alternates: list[str] = []
        g = _PUBLISHER.match(garden or "")
        if g is not None:
            if written is None:
                written, source = f"{g.group(1)}/{g.group(2)}", "model garden"
            alternates.append(g.group(2))
        alternates += path_names(text(rec.get("artifactUri")))
        display = text(rec.get("displayName"), 256)
        key = name.split("@", 1)[0]
        if written is not None and source != "model garden":
            line = doc.first_line(written, line)
        self.models[key] = _Model(
            key,
            m.group(1),
            m.group(2),
            display,
            written,
            source,
            tuple(alternates),
            text(spec.get("imageUri"), 512),
            path,
            line,
        )

    def deployments(self, issues: Issues) -> list[Deployment]:
        out: list[Deployment] = []
        used: set[str] = set()
        unlinked = 0
        for d in self.deployed:
            model = self.models.get((d.model or "").split("@", 1)[0])
            details = [("endpoint", d.endpoint)]
            details += [
                (k, v) for k, v in (("endpoint_name", d.endpoint_display), ("machine", d.machine)) if v
            ]
            if model is not None:
                used.add(model.name)
                out.append(_deployment(model, d.endpoint, "endpoint", details))
                continue
            unlinked += 1
            written = d.display or d.endpoint_display
            if written is None:
                issues.skip(
                    d.path,
                    "incomplete",
                    f"Vertex AI endpoint {d.endpoint}: a deployed model with no "
                    "name and no models export; what it serves is unknown",
                )
                continue
            if d.model:
                details.append(("model", d.model))
            out.append(
                Deployment(
                    service="vertex",
                    written=written,
                    resource=d.endpoint,
                    what="endpoint",
                    path=d.path,
                    line=d.line,
                    fmt="gcp-vertex-endpoints",
                    strength="B",
                    account=d.project,
                    region=d.region,
                    details=tuple(details),
                )
            )
        for model in self.models.values():
            if model.name not in used:
                out.append(_deployment(model, model.name, "model (not deployed to an endpoint)", []))
        if unlinked:
            issues.notes.append(
                f"cloud: {unlinked} Vertex AI deployed models without their model in a models export "
                "(gcloud ai models list): named by their display name only (strength B)"
            )
        return out


def _container_model(spec: dict[str, Any]) -> tuple[str | None, str | None]:
    """The model id the serving container's environment or arguments name."""
    env = {}
    for e in arr(spec.get("env"))[:500]:
        e = obj(e)
        k, v = text(e.get("name"), 128), text(e.get("value"), 256)
        if k and v:
            env[k.upper()] = v
    for k in (*_ENV_KEYS, *sorted(k for k in env if k.endswith("_MODEL_ID"))):
        v = env.get(k)
        if v and looks_like_model_id(v):
            return v, f"env {k}"
    args = [a for a in arr(spec.get("args"))[:500] if isinstance(a, str)]
    args += [a for a in arr(spec.get("command"))[:100] if isinstance(a, str)]
    for i, a in enumerate(args):
        m = _ARG.match(a.strip())
        if m is None:
            continue
        v = m.group(1) if m.group(1) is not None else (args[i + 1] if i + 1 < len(args) else "")
        if v and looks_like_model_id(v):
            return v[:256], f"arg {a.split('=', 1)[0]}"
    return None, None


def _deployment(model: _Model, resource: str, what: str, details: list[tuple[str, str]]) -> Deployment:
    written = model.written or model.display or model.name.rsplit("/", 1)[-1]
    details = [*details, ("model", model.name)]
    details += [(k, v) for k, v in (("named_by", model.source), ("image", model.image)) if v]
    if model.display:
        details.append(("display_name", model.display))
    alternates = model.alternates + ((model.display,) if model.display and model.written else ())
    return Deployment(
        service="vertex",
        written=written,
        resource=resource,
        what=what,
        path=model.path,
        line=model.line,
        fmt="gcp-vertex-models",
        strength="A" if model.written else "B",
        account=model.project,
        region=model.region,
        alternates=alternates,
        details=tuple(details),
    )
