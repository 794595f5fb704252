"""REST API under ``/api/v1``: read endpoints over the store, diff and explain, and starting a scan of a
target configured in the server's estate file. Answers are the store's records encoded by msgspec; their
JSON Schemas are published in the OpenAPI document (see :mod:`tierguard.service.schemas`).

Every query string value is bounded (length, range) and free of control characters; anything else is 422.
A scan reference is an id, ``latest`` or ``latest~N``; an unknown one is 404.
"""

# no ``from __future__ import annotations``: FastAPI reads these signatures at run time, and the page limit
# (settings.max_page) is a local type alias of router()

from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from tierguard.model import ScanResult
from tierguard.service.auth import require_read, require_write
from tierguard.service.cache import BlobCache
from tierguard.service.cache import breakdown as count_groups
from tierguard.service.explain import Explanation, explain, find_asset
from tierguard.service.jobs import Jobs
from tierguard.service.schemas import Breakdown, ExplainPage, ScanDetail, ref_response
from tierguard.service.settings import Settings
from tierguard.store.interface import AssetFilter, ScanRef, Store, StoreError

TEXT = r"^[^\x00-\x1f\x7f]*$"  # no control characters in any query value
REF = r"^(\d{1,18}|latest(~\d{1,6})?)$"
MAX_OFFSET = 10**9
MAX_GROUPS = 500  # the largest breakdown limit (the store answers at most 1,000 rows; one more tells `more`)

Text = Annotated[str | None, Query(max_length=500, pattern=TEXT)]
VerdictQ = Annotated[Literal["allow", "review", "deny"] | None, Query()]


class ScanRequest(BaseModel):
    """``POST /api/v1/scans``: the name of a target in the server's estate file (never a path)."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1, max_length=200, pattern=TEXT)


def encode(obj: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(obj), status_code=status, media_type="application/json")


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def resolve(store: Store, ref: str, target: str | None) -> ScanRef:
    try:
        return store.resolve(ref, target=target)
    except StoreError:  # its message names the store (a file path): not for clients
        of = f" of target {target!r}" if target is not None else ""
        raise HTTPException(status_code=404, detail=f"no recorded scan {ref}{of}") from None


def load(store: Store, scan: ScanRef) -> ScanResult:
    if scan.status != "ok":
        raise HTTPException(status_code=404, detail=f"scan {scan.id} is a recorded error: {scan.error}")
    try:
        return store.load(scan.id)
    except StoreError:
        raise HTTPException(status_code=404, detail=f"scan {scan.id} has no readable result") from None


def asset_filter(
    scan: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    target: Text = None,
    kind: Text = None,
    producer: Text = None,
    jurisdiction: Text = None,
    verdict: VerdictQ = None,
    rule_id: Text = None,
    q: Annotated[str | None, Query(max_length=200, pattern=TEXT, description="substring of the name")] = None,
) -> AssetFilter:
    return AssetFilter(
        scan=scan,
        target=target,
        kind=kind,
        producer=producer,
        jurisdiction=jurisdiction,
        verdict=verdict,
        rule_id=rule_id,
        query=q,
    )


def _listing(
    router: APIRouter,
    path: str,
    schema: str,
    call: Callable[[Store, AssetFilter, int, int], Any],
    max_page: int,
) -> None:
    @router.get(path, responses=ref_response(schema), dependencies=[Depends(require_read)])
    def listing(
        request: Request,
        flt: Annotated[AssetFilter, Depends(asset_filter)],
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
        limit: Annotated[int, Query(ge=1, le=max_page)] = 50,
    ) -> Response:
        return encode(call(_store(request), flt, offset, limit))

    listing.__name__ = f"list_{path.strip('/').replace('/', '_')}"


# size: one small handler per endpoint, read top to bottom
def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    max_page = settings.max_page
    Page = Annotated[int, Query(ge=1, le=max_page)]
    Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

    @api.get("/targets", responses=ref_response("Page_TargetRow_"), dependencies=[Depends(require_read)])
    def list_targets(request: Request, offset: Offset = 0, limit: Page = 50) -> Response:
        return encode(_store(request).targets(offset=offset, limit=limit))

    @api.get("/scans", responses=ref_response("Page_ScanRef_"), dependencies=[Depends(require_read)])
    def list_scans(
        request: Request, target: Text = None, estate: Text = None, offset: Offset = 0, limit: Page = 50
    ) -> Response:
        return encode(_store(request).scans(target=target, estate=estate, offset=offset, limit=limit))

    @api.get("/scans/{ref}", responses=ref_response("ScanDetail"), dependencies=[Depends(require_read)])
    def scan_detail(
        request: Request,
        ref: Annotated[str, PathParam(pattern=REF, max_length=30)],
        target: Text = None,
        full: bool = True,
    ) -> Response:
        store = _store(request)
        scan = resolve(store, ref, target)
        result = load(store, scan) if scan.status == "ok" and full else None
        return encode(ScanDetail(scan=scan, result=result))

    _listing(api, "/assets", "Page_AssetRow_", lambda s, f, o, n: s.assets(f, offset=o, limit=n), max_page)
    _listing(
        api, "/decisions", "Page_DecisionRow_", lambda s, f, o, n: s.decisions(f, offset=o, limit=n), max_page
    )
    _listing(
        api, "/findings", "Page_FindingRow_", lambda s, f, o, n: s.findings(f, offset=o, limit=n), max_page
    )

    @api.get("/breakdown", responses=ref_response("Breakdown"), dependencies=[Depends(require_read)])
    def breakdown(
        request: Request,
        flt: Annotated[AssetFilter, Depends(asset_filter)],
        by: Annotated[Literal["producer", "jurisdiction", "kind"], Query()] = "producer",
        limit: Annotated[int, Query(ge=1, le=MAX_GROUPS)] = 50,
    ) -> Response:
        return encode(breakdown_of(_store(request), by, flt, limit))

    @api.get("/trend", responses=ref_response("TrendPoints"), dependencies=[Depends(require_read)])
    def trend(
        request: Request, target: Text = None, limit: Annotated[int, Query(ge=1, le=5000)] = 500
    ) -> Response:
        return encode(list(_store(request).trend(target=target, limit=limit)))

    @api.get("/diff", responses=ref_response("ScanDiff"), dependencies=[Depends(require_read)])
    def diff_scans(
        request: Request,
        old: Annotated[str, Query(pattern=REF, max_length=30)] = "latest~1",
        new: Annotated[str, Query(pattern=REF, max_length=30)] = "latest",
        target: Text = None,
    ) -> Response:
        store = _store(request)
        a, b = resolve(store, old, target), resolve(store, new, target)
        blobs: BlobCache = request.app.state.diffs
        body = blobs.get((a.id, b.id))
        if body is None:
            from tierguard.report.diff import diff

            d = diff(
                load(store, a),
                load(store, b),
                old_label=f"scan {a.id} ({a.target})",
                new_label=f"scan {b.id} ({b.target})",
            )
            body = msgspec.json.encode(d)
            blobs.put((a.id, b.id), body)
        return Response(body, media_type="application/json")

    @api.get("/explain", responses=ref_response("ExplainPage"), dependencies=[Depends(require_read)])
    def explain_asset(
        request: Request,
        asset: Annotated[str, Query(min_length=1, max_length=500, pattern=TEXT)],
        scan: Annotated[str | None, Query(pattern=REF, max_length=30)] = None,
        target: Text = None,
    ) -> Response:
        return encode(ExplainPage(items=tuple(explanations(_store(request), asset, scan, target))))

    @api.post(
        "/scans",
        status_code=202,
        responses={**ref_response("Job", 202), 404: {"description": "no such configured target"}},
        dependencies=[Depends(require_write)],
    )
    def start_scan(request: Request, body: Annotated[ScanRequest, Body()]) -> Response:
        jobs: Jobs | None = request.app.state.jobs
        names: frozenset[str] = request.app.state.target_names
        if jobs is None:
            raise HTTPException(status_code=404, detail="this server has no estate file (--config)")
        if body.target not in names:
            raise HTTPException(status_code=404, detail="no target of that name in the server's estate file")
        return encode(jobs.submit(body.target), status=202)

    @api.get("/jobs/{job_id}", responses=ref_response("Job"), dependencies=[Depends(require_read)])
    def job_status(
        request: Request, job_id: Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
    ) -> Response:
        jobs: Jobs | None = request.app.state.jobs
        job = jobs.get(job_id) if jobs is not None else None
        if job is None:
            raise HTTPException(status_code=404, detail="no such job")
        return encode(job)

    return api


def breakdown_of(store: Store, by: str, flt: AssetFilter | None, limit: int) -> Breakdown:
    """The first ``limit`` groups of the store's breakdown (exact counts: one GROUP BY in the store)."""
    rows = count_groups(store, by, flt, limit + 1)
    return Breakdown(by=by, items=tuple(rows[:limit]), limit=limit, more=len(rows) > limit)


def explanations(store: Store, asset: str, scan: str | None, target: str | None) -> list[Explanation]:
    """The asset in one scan (``scan`` or ``target`` given), or in the latest scan of every target that has
    an asset of that name (404 when none does)."""
    if scan is not None or target is not None:
        ref = resolve(store, scan or "latest", target)
        result = load(store, ref)
        found = find_asset(result, asset)
        if found is None:
            raise HTTPException(
                status_code=404, detail="no such asset in that scan (or the name is ambiguous)"
            )
        return [explain(result, found, scan_id=ref.id, target=ref.target)]
    rows = store.assets(AssetFilter(query=asset), limit=100).items
    hits = [r for r in rows if r.name.lower() == asset.lower() or r.asset_id == asset]
    out = []
    for scan_id in sorted({r.scan_id for r in hits}, reverse=True)[:20]:
        ref = resolve(store, str(scan_id), None)
        result = load(store, ref)
        found = find_asset(result, asset)
        if found is not None:
            out.append(explain(result, found, scan_id=ref.id, target=ref.target))
    if not out:
        raise HTTPException(
            status_code=404,
            detail="no asset of that name in the latest scans (give scan= or target= for an id)",
        )
    return out
