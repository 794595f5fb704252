"""The dashboard: server-rendered Jinja pages (autoescape on, no build step) over the same store as the API.

Pages: ``/`` estate overview (targets with their last scan and worst verdict, producers and jurisdictions,
the trend of denies and reviews as a chart), ``/assets`` (filterable asset list), ``/asset/{scan}/{asset}``
(drill-down: usages with file:line, the rules with their citations), ``/diff`` (what changed between two
scans), ``/login`` and ``/logout``. Everything read from the store is untrusted text: templates escape it,
only http(s) citation URLs become links, and the chart's data travels as a JSON data block read by a static
script (CSP ``script-src 'self'``: no inline script).
"""

# no ``from __future__ import annotations``: FastAPI reads these signatures at run time, and the page limit
# (settings.max_page) is a local type alias of router()

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse

from tierguard.model import VERDICT_ORDER
from tierguard.service.api import REF, TEXT, explanations, load, resolve
from tierguard.service.auth import SESSION_COOKIE, Sessions, page_role, role_for
from tierguard.service.cache import breakdown
from tierguard.service.explain import explain, find_asset
from tierguard.service.settings import Settings
from tierguard.store.interface import AssetFilter, BreakdownRow, Store, TrendPoint

TEMPLATES = Path(__file__).parent / "templates"
SHOWN_GROUPS = 50  # rows of the producer and jurisdiction tables (the page says when there are more)
Text = Annotated[str | None, Query(max_length=500, pattern=TEXT)]


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_url"] = safe_url
    env.filters["q"] = lambda s: quote(str(s), safe="")
    return env


def safe_url(url: object) -> str | None:
    """The URL when it is http(s) (a link may be made of it), None otherwise."""
    text = str(url or "")
    return text if text.lower().startswith(("https://", "http://")) and len(text) < 2000 else None


def local_next(value: str | None) -> str:
    """A redirect target after login: a local path only (no ``//host``, no scheme)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def estate_trend(points: Sequence[TrendPoint]) -> dict[str, list[Any]]:
    """Per recorded scan (oldest first): the estate's denies and reviews, each target counted at its latest
    scan so far (one target's scan does not hide the others')."""
    latest: dict[str, TrendPoint] = {}
    labels: list[str] = []
    denies: list[int] = []
    reviews: list[int] = []
    for p in points:
        latest[p.target] = p
        labels.append(p.started[:16].replace("T", " ") or f"scan {p.scan_id}")
        denies.append(sum(x.denies for x in latest.values()))
        reviews.append(sum(x.reviews for x in latest.values()))
    return {"labels": labels, "denies": denies, "reviews": reviews}


def groups(store: Store, target: str | None) -> dict[str, list[BreakdownRow]]:
    """Assets of the latest scans (of ``target``) per producer and per jurisdiction with their verdicts, most
    denies first: exact at any size (the store counts them with one GROUP BY each)."""
    flt = AssetFilter(target=target) if target else None
    return {key: breakdown(store, key, flt, SHOWN_GROUPS + 1) for key in ("producer", "jurisdiction")}


# size: one small handler per page, read top to bottom
def router(settings: Settings) -> APIRouter:
    pages = APIRouter(include_in_schema=False)
    env = environment()

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        html = env.get_template(name).render(auth=settings.auth_enabled, path=request.url.path, **ctx)
        return HTMLResponse(html, status_code=status)

    def gate(request: Request) -> Response | None:
        if page_role(request) is None:
            nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(nxt, safe='')}", status_code=303)
        return None

    def store_of(request: Request) -> Store:
        store: Store = request.app.state.store
        return store

    @pages.get("/login")
    def login_form(request: Request, next: Text = None) -> Response:
        return render(request, "login.html.j2", next=local_next(next), error=None)

    @pages.post("/login")
    async def login(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=5)
        token = (form.get("token") or [""])[0]
        nxt = local_next((form.get("next") or ["/"])[0])
        role = role_for(settings, token)
        if role is None:
            return render(request, "login.html.j2", status=401, next=nxt, error="invalid token")
        sessions: Sessions = request.app.state.sessions
        response = RedirectResponse(nxt, status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            sessions.create(role),
            max_age=int(settings.session_hours * 3600),
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    @pages.post("/logout")
    def logout(request: Request) -> Response:
        sessions: Sessions = request.app.state.sessions
        sessions.drop(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @pages.get("/")
    def overview(request: Request, target: Text = None) -> Response:
        if (denied := gate(request)) is not None:
            return denied
        store = store_of(request)
        targets = store.targets(limit=200)
        return render(
            request,
            "overview.html.j2",
            targets=targets,
            target=target,
            trend=estate_trend(store.trend(target=target)),
            groups=groups(store, target),
            shown=SHOWN_GROUPS,
            scans=store.scans(target=target, limit=10).items,
        )

    @pages.get("/assets")
    def assets(
        request: Request,
        target: Text = None,
        verdict: Text = None,
        producer: Text = None,
        jurisdiction: Text = None,
        q: Text = None,
        offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
    ) -> Response:
        if (denied := gate(request)) is not None:
            return denied
        if verdict is not None and verdict not in VERDICT_ORDER:
            raise HTTPException(status_code=422, detail="verdict is allow, review or deny")
        flt = AssetFilter(
            target=target,
            verdict=verdict,  # type: ignore[arg-type]  # checked above
            producer=producer,
            jurisdiction=jurisdiction,
            query=q,
        )
        page = store_of(request).assets(flt, offset=offset, limit=100)
        return render(request, "assets.html.j2", page=page, flt=flt)

    @pages.get("/asset/{scan_id}/{asset_id}")
    def asset(
        request: Request,
        scan_id: Annotated[int, PathParam(ge=1, le=2**62)],
        asset_id: Annotated[str, PathParam(max_length=500, pattern=TEXT)],
    ) -> Response:
        if (denied := gate(request)) is not None:
            return denied
        store = store_of(request)
        ref = resolve(store, str(scan_id), None)
        result = load(store, ref)
        found = find_asset(result, asset_id)
        if found is None:
            raise HTTPException(status_code=404, detail="no such asset in that scan")
        return render(request, "asset.html.j2", x=explain(result, found, scan_id=ref.id, target=ref.target))

    @pages.get("/explain")
    def explain_page(
        request: Request, asset: Annotated[str, Query(min_length=1, max_length=500, pattern=TEXT)]
    ) -> Response:
        if (denied := gate(request)) is not None:
            return denied
        items = explanations(store_of(request), asset, None, None)
        return RedirectResponse(
            f"/asset/{items[0].scan_id}/{quote(items[0].asset_id, safe='')}", status_code=303
        )

    @pages.get("/diff")
    def diff_page(
        request: Request,
        old: Annotated[str, Query(pattern=REF, max_length=30)] = "latest~1",
        new: Annotated[str, Query(pattern=REF, max_length=30)] = "latest",
        target: Text = None,
    ) -> Response:
        if (denied := gate(request)) is not None:
            return denied
        from tierguard.report.diff import diff

        store = store_of(request)
        a, b = resolve(store, old, target), resolve(store, new, target)
        d = diff(load(store, a), load(store, b), old_label=f"scan {a.id}", new_label=f"scan {b.id}")
        return render(request, "diff.html.j2", d=d, old=a, new=b, target=target)

    return pages
