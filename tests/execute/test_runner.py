"""run_estate over real targets (copies of the demo services) with the real SQLite store: every target is
recorded once; a target that vanishes, a scanner crash, a dead worker are recorded errors and never stop the
run; a failed job is retried once; an interrupted run resumes; a store that fails stops the run cleanly."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from tierguard.execute import EstateEvent, TargetJob, load_estate, run_estate
from tierguard.store import Store, StoreError, open_store

from .conftest import EstateWriter
from .memstore import MemoryStore

EXECUTORS = ["serial", "process"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield s
    s.close()


def by_target(store: Store, estate: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for ref in store.scans(estate=estate, limit=500).items:
        out.setdefault(ref.target, []).append(ref.status if ref.status == "error" else str(ref.worst_verdict))
    return out


@pytest.mark.parametrize("executor", EXECUTORS)
def test_every_target_is_scanned_and_recorded_once(
    executor: str, write_estate: EstateWriter, store: Store
) -> None:
    estate = load_estate(write_estate())
    run = run_estate(estate, store=store, executor=executor, workers=2)  # type: ignore[arg-type]
    assert run.errors == 0 and not run.resumed
    recorded = by_target(store, estate.name)
    # the assistant calls DeepSeek's API: deny in a UK government context; analytics holds only traps
    assert recorded == {"assistant": ["deny"], "web": ["deny"], "gateway": ["deny"], "analytics": ["allow"]}
    refs = store.scans(estate=estate.name, limit=10).items
    assert {r.revision for r in refs} == {run.run} and run.run.startswith(estate.revision + "@")
    assert {r.owner for r in refs} == {f"{n}-team@example.com" for n in recorded}
    summary = {t.name: t for t in run.rollup.targets}
    assistant = store.load(summary["assistant"].scan_id or 0)  # the full result is in the store
    assert any("deepseek" in a.name.lower() for a in assistant.assets)
    assert summary["assistant"].denies == sum(d.effective_verdict == "deny" for d in assistant.decisions)
    producers = {(p.producer.split(" ")[0], p.jurisdiction) for p in run.rollup.producer_rows()}
    assert ("DeepSeek", "CN") in producers and ("OpenAI", "US") in producers
    assert run.rollup.verdicts == {"deny": 3, "allow": 1}


def test_serial_and_process_record_the_same_results(write_estate: EstateWriter, tmp_path: Path) -> None:
    estate = load_estate(write_estate())
    docs = []
    for executor in EXECUTORS:
        s = open_store(f"sqlite:///{tmp_path / executor}.db")
        run = run_estate(estate, store=s, executor=executor, workers=2)  # type: ignore[arg-type]
        got = {}
        for t in run.rollup.targets:
            r = s.load(t.scan_id or 0)
            got[t.name] = sorted(
                (a.id, d.verdict) for a in r.assets for d in r.decisions if d.asset_id == a.id
            )
        docs.append(got)
        s.close()
    assert docs[0] == docs[1] and all(docs[0].values())


def test_a_target_deleted_mid_run_is_a_recorded_error(
    write_estate: EstateWriter, targets: Path, store: Store
) -> None:
    estate = load_estate(write_estate())
    events: list[EstateEvent] = []

    def progress(event: EstateEvent) -> None:
        events.append(event)
        if event.kind == "start" and event.target == "assistant":  # before web's turn
            shutil.rmtree(targets / "web")

    run = run_estate(estate, store=store, executor="serial", progress=progress)
    assert by_target(store, estate.name) == {
        "assistant": ["deny"],
        "web": ["error"],
        "gateway": ["deny"],
        "analytics": ["allow"],
    }
    (web,) = [t for t in run.rollup.targets if t.name == "web"]
    assert web.status == "error" and web.error == f"target does not exist: {targets / 'web'}"
    assert web.attempts == 1  # the target's fault: not retried
    assert store.scans(target="web").items[0].error == web.error
    assert [e.kind for e in events if e.target == "web"] == ["start", "error"]
    assert events[-1].done == 4 == events[-1].total


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_missing_and_an_unreadable_target_are_recorded_errors(
    executor: str, write_estate: EstateWriter, targets: Path, store: Store
) -> None:
    (targets / "bad.tar").write_bytes(b"not a tar archive at all")
    estate = load_estate(
        write_estate(
            ["assistant", "gone", "bad"], paths={"gone": "targets/never-there", "bad": "targets/bad.tar"}
        )
    )
    run = run_estate(estate, store=store, executor=executor, workers=2)  # type: ignore[arg-type]
    recorded = by_target(store, estate.name)
    assert recorded["gone"] == ["error"] and recorded["assistant"] == ["deny"]
    assert len(recorded["bad"]) == 1  # scanned (as a file) or an error: never lost
    assert run.errors == sum(v == ["error"] for v in recorded.values())


def crash(name: str, fault: str) -> object:
    def hook(job: TargetJob) -> TargetJob:
        return msgspec.structs.replace(job, fault=fault) if job.name == name else job

    return hook


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_scanner_crash_is_retried_once_then_recorded(
    executor: str, write_estate: EstateWriter, store: Store
) -> None:
    estate = load_estate(write_estate())
    events: list[EstateEvent] = []
    run = run_estate(
        estate,
        store=store,
        executor=executor,  # type: ignore[arg-type]
        workers=2,
        job_hook=crash("gateway", "raise"),  # type: ignore[arg-type]
        progress=events.append,
    )
    recorded = by_target(store, estate.name)
    assert recorded == {"assistant": ["deny"], "web": ["deny"], "gateway": ["error"], "analytics": ["allow"]}
    (gw,) = [t for t in run.rollup.targets if t.name == "gateway"]
    assert gw.error == "RuntimeError: injected crash scanning gateway" and gw.attempts == 2
    assert [e.kind for e in events if e.target == "gateway"] == ["start", "retry", "error"]


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_failure_that_passes_on_retry_is_recorded_ok(
    executor: str, write_estate: EstateWriter, store: Store, tmp_path: Path
) -> None:
    estate = load_estate(write_estate())
    hook = crash("web", f"once:{tmp_path / 'web-failed-once'}")
    run = run_estate(estate, store=store, executor=executor, workers=2, job_hook=hook)  # type: ignore[arg-type]
    assert (tmp_path / "web-failed-once").exists()
    (web,) = [t for t in run.rollup.targets if t.name == "web"]
    assert web.status == "ok" and web.attempts == 2 and web.worst_verdict == "deny"
    assert run.errors == 0


def test_a_worker_that_dies_is_recorded_and_its_neighbours_are_not(
    write_estate: EstateWriter, store: Store
) -> None:
    estate = load_estate(write_estate())
    run = run_estate(estate, store=store, executor="process", workers=2, job_hook=crash("web", "exit"))  # type: ignore[arg-type]
    recorded = by_target(store, estate.name)
    assert recorded == {"assistant": ["deny"], "web": ["error"], "gateway": ["deny"], "analytics": ["allow"]}
    (web,) = [t for t in run.rollup.targets if t.name == "web"]
    assert web.error == "the worker process died" and web.attempts == 2


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("executor", EXECUTORS)
def test_an_interrupted_run_resumes_and_a_complete_one_starts_afresh(
    executor: str, write_estate: EstateWriter, store: Store
) -> None:
    estate = load_estate(write_estate())

    def stop_after_two(event: EstateEvent) -> None:
        if event.kind == "ok" and event.done == 2:
            raise Interrupt  # Ctrl-C in the driver after two targets were recorded

    with pytest.raises(Interrupt):
        run_estate(estate, store=store, executor=executor, workers=2, progress=stop_after_two)  # type: ignore[arg-type]
    first = {r.target: r for r in store.scans(estate=estate.name).items}
    assert len(first) == 2

    scanned: list[str] = []
    run = run_estate(
        estate,
        store=store,
        executor=executor,  # type: ignore[arg-type]
        workers=2,
        progress=lambda e: scanned.append(e.target) if e.kind == "start" else None,
    )
    assert run.resumed and run.run == next(iter(first.values())).revision
    assert sorted(scanned) == sorted(set(estate_names(estate)) - set(first))  # only the rest were scanned
    skipped = {t.name for t in run.rollup.targets if t.status == "skipped"}
    assert skipped == set(first)
    assert {t.name for t in run.rollup.targets} == set(estate_names(estate))  # the roll-up covers all
    assert sum(p.assets for p in run.rollup.producer_rows()) > 0
    assert store.recorded_targets(estate.name, run.run) == set(estate_names(estate))

    again = run_estate(estate, store=store, executor=executor, workers=2)  # type: ignore[arg-type]
    assert not again.resumed and again.run != run.run
    assert all(t.status == "ok" for t in again.rollup.targets)  # a complete run is never "resumed"
    assert all(len(v) == 2 for v in by_target(store, estate.name).values())


def estate_names(estate: object) -> list[str]:
    return [t.name for t in estate.targets]  # type: ignore[attr-defined]


def test_no_resume_scans_everything_again(write_estate: EstateWriter, store: Store) -> None:
    estate = load_estate(write_estate(["assistant", "web"]))
    with pytest.raises(Interrupt):
        run_estate(estate, store=store, executor="serial", progress=_stop_first)
    run = run_estate(estate, store=store, executor="serial", resume=False)
    assert not run.resumed and all(t.status == "ok" for t in run.rollup.targets)


def _stop_first(event: EstateEvent) -> None:
    if event.kind == "ok":
        raise Interrupt


def test_a_changed_estate_file_is_a_new_run(write_estate: EstateWriter, store: Store) -> None:
    estate = load_estate(write_estate(["assistant", "web"]))
    with pytest.raises(Interrupt):
        run_estate(estate, store=store, executor="serial", progress=_stop_first)
    changed = load_estate(write_estate(["assistant", "web"], extra='fail_on = "review"'))
    assert changed.revision != estate.revision
    run = run_estate(changed, store=store, executor="serial")
    assert not run.resumed and len(run.rollup.targets) == 2


@pytest.mark.parametrize("executor", EXECUTORS)
def test_a_store_that_fails_stops_the_run_with_a_store_error(
    executor: str, write_estate: EstateWriter
) -> None:
    estate = load_estate(write_estate())
    store = MemoryStore(fail_after=1)
    with pytest.raises(StoreError, match="readonly database"):
        run_estate(estate, store=store, executor=executor, workers=2)  # type: ignore[arg-type]
    assert len(store.refs) == 1  # what was recorded stays; a resumed run continues after it
    store.fail_after = None
    run = run_estate(estate, store=store, executor=executor, workers=2)  # type: ignore[arg-type]
    assert run.resumed and sum(t.status == "skipped" for t in run.rollup.targets) == 1
    assert len(store.refs) == 4
