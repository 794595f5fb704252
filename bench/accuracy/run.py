"""Accuracy benchmark: tierguard's verdicts against hand labels on real public code from PyPI.

    python bench/accuracy/run.py [--cache DIR] [--package NAME ...] [--json OUT] [--show N] [--src TREE]
    python bench/accuracy/run.py --candidates [--package NAME ...]   # files a labeller must read

The corpus (corpus.toml: pinned sdists/wheels, sha256, the paths in scope) is downloaded with pip into the
cache (default ~/.cache/tierguard-bench/accuracy, or $TIERGUARD_BENCH_CACHE), verified and unpacked; nothing
in it is installed, imported or run. The files in scope are copied into a staging directory per package,
and `tierguard scan STAGE --country GB --sector government --format json` (all shipped packs) runs over
each, and over the trap set (traps/). The result is compared with labels.csv (see README.md):

- recall: a real-use file is found for a labelled CN/HK provider when tierguard has strength A or B
  evidence attributed to that provider in that file;
- precision of CN attribution: each (file, CN/HK provider) with A/B evidence is correct only when the file
  is labelled real-use for that provider; A/B evidence in a reference/nothing file (inflated strength),
  for a provider the file only mentions, or in an in-scope file no label covers, is an error;
- false DENY: a deny decision none of whose driving evidence (A/B, or all evidence when there is no A/B)
  lies in a file labelled real-use for a provider of that asset; every deny in the trap set is false.
"""

from __future__ import annotations

import argparse
import csv
import functools
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CN_JURISDICTIONS = {"CN", "HK"}
LABELS = {"real-use", "reference", "nothing"}
TRAPS = "traps"

# What a labeller greps for (case-insensitive) to find every in-scope file that mentions a PRC provider:
# catalog hosts, SDK modules, class names, env keys, producer and model family names. Deliberately broader
# than tierguard's own keywords: a file it finds must be read and labelled, a file it misses is unlabelled.
CANDIDATE_TERMS = (
    r"dashscope|tongyi|qwen|qwq|aliyun|alibaba|bailian|modelscope|wanx|wan2\.|"
    r"zhipu|bigmodel|chatglm|glm|codegeex|cogview|z\.ai|\bzai\b|"
    r"qianfan|ernie|baidu|wenxin|appbuilder|paddle|"
    r"moonshot|kimi|minimax|abab[5-7]|deepseek|"
    r"volcengine|volces|bytedance|byteplus|doubao|coze|\bark\b|ark_api|"
    r"hunyuan|tencent|sparkllm|sparkai|spark_|spark-|xfyun|xf-yun|iflytek|xinghuo|"
    r"baichuan|lingyiwanwu|01\.ai|01-ai|\byi-|\byi\b|chatyi|stepfun|step-[0-9]|"
    r"siliconflow|sensenova|sensetime|sensechat|baai|\bbge|yuan2|inspur|huawei|pangu|mindspore|"
    r"internlm|internvl|minicpm|xiaomi|mimo-|longcat|meituan|kuaishou|kwai|skywork|360gpt|zhinao|qihoo"
)


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    dist: str
    file: str
    sha256: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.name}-{self.version}"


@dataclass(frozen=True)
class Label:
    package: str
    path: str
    label: str
    providers: frozenset[str]
    mentions: frozenset[str]
    why: str


@dataclass
class Tally:
    labelled: int = 0
    real_use: int = 0
    recall_pairs: int = 0
    recall_found: int = 0
    other_pairs: int = 0
    other_found: int = 0
    cn_pairs: int = 0
    cn_correct: int = 0
    denies: int = 0
    false_denies: int = 0
    misses: list[dict[str, Any]] = field(default_factory=list)
    other_misses: list[dict[str, Any]] = field(default_factory=list)
    false_alarms: list[dict[str, Any]] = field(default_factory=list)
    false_deny_list: list[dict[str, Any]] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for name in ("labelled", "real_use", "recall_pairs", "recall_found", "other_pairs", "other_found"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("cn_pairs", "cn_correct", "denies", "false_denies"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.misses += other.misses
        self.other_misses += other.other_misses
        self.false_alarms += other.false_alarms
        self.false_deny_list += other.false_deny_list


# ---------------------------------------------------------------- corpus


def load_corpus(path: Path) -> list[Package]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        Package(
            name=p["name"],
            version=p["version"],
            dist=p["dist"],
            file=p["file"],
            sha256=p["sha256"],
            include=tuple(p["include"]),
            exclude=tuple(p.get("exclude", ())),
        )
        for p in data["package"]
    ]


def load_labels(path: Path) -> dict[tuple[str, str], Label]:
    out: dict[tuple[str, str], Label] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            label = row["label"].strip()
            if label not in LABELS:
                raise SystemExit(f"labels.csv:{n}: label must be one of {sorted(LABELS)}, not {label!r}")
            key = (row["package"].strip(), row["path"].strip())
            if key in out:
                raise SystemExit(f"labels.csv:{n}: {key} labelled twice")
            out[key] = Label(
                package=key[0],
                path=key[1],
                label=label,
                providers=_ids(row["providers"]),
                mentions=_ids(row["mentions"]),
                why=row["why"].strip(),
            )
            if label == "real-use" and not out[key].providers:
                raise SystemExit(f"labels.csv:{n}: a real-use row names the provider(s) it uses")
            if label != "real-use" and out[key].providers:
                raise SystemExit(f"labels.csv:{n}: only real-use rows have providers (use mentions)")
    return out


def _ids(text: str) -> frozenset[str]:
    return frozenset(t.strip() for t in text.split(";") if t.strip())


def fetch(pkg: Package, cache: Path) -> Path:
    """Download (unless cached), verify and unpack one package; return its unpacked root."""
    dl = cache / "dl"
    archive = dl / pkg.file
    if not archive.exists():
        dl.mkdir(parents=True, exist_ok=True)
        binary = ["--no-binary", ":all:"] if pkg.dist == "sdist" else ["--only-binary", ":all:"]
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", *binary]
        subprocess.run([*cmd, "-d", str(dl), f"{pkg.name}=={pkg.version}"], check=True)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != pkg.sha256:
        raise SystemExit(f"{archive}: sha256 {digest} does not match corpus.toml ({pkg.sha256})")
    root = cache / "src" / pkg.key
    if not (root / ".unpacked").exists():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        _unpack(archive, root)
        (root / ".unpacked").write_text(pkg.sha256, encoding="utf-8")
    return root


def _unpack(archive: Path, root: Path) -> None:
    if archive.name.endswith(".whl") or archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(root)
        return
    with tarfile.open(archive) as tf, tempfile.TemporaryDirectory(dir=root.parent) as tmp:
        tf.extractall(tmp, filter="data")
        tops = list(Path(tmp).iterdir())
        inner = tops[0] if len(tops) == 1 and tops[0].is_dir() else Path(tmp)
        for child in inner.iterdir():
            shutil.move(str(child), root / child.name)


def in_scope(pkg: Package, root: Path) -> list[str]:
    files = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            full = Path(dirpath) / name
            rel = full.relative_to(root).as_posix()
            if rel == ".unpacked" or full.is_symlink():
                continue
            if any(_glob(p).fullmatch(rel) for p in pkg.include) and not any(
                _glob(p).fullmatch(rel) for p in pkg.exclude
            ):
                files.append(rel)
    return sorted(files)


@functools.cache
def _glob(pattern: str) -> re.Pattern[str]:
    """`**` matches across directories, `*` and `?` within one path segment."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    table = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts))


def stage(src: Path, files: list[str], dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    for rel in files:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src / rel, target)
        except OSError:
            shutil.copy2(src / rel, target)


# ---------------------------------------------------------------- candidates (for labellers)


def candidates(pkg_key: str, root: Path, files: list[str], labels: dict[tuple[str, str], Label]) -> None:
    rx = re.compile(CANDIDATE_TERMS, re.IGNORECASE)
    quiet: list[str] = []
    for rel in files:
        try:
            text = (root / rel).read_bytes()[:2_000_000].decode("utf-8", "replace")
        except OSError:
            continue
        hits = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if rx.search(line)]
        mark = "labelled" if (pkg_key, rel) in labels else "UNLABELLED"
        if not hits:
            quiet.append(rel)
            continue
        print(f"== {pkg_key} {rel} [{mark}] {len(hits)} lines")
        for n, line in hits[:12]:
            print(f"   {n}: {line[:160]}")
    sample = random.Random(pkg_key).sample(quiet, min(5, len(quiet)))
    print(f"-- {pkg_key}: {len(quiet)} in-scope files mention no PRC term; a seeded sample: {sample}")


# ---------------------------------------------------------------- scan and score


def tierguard_env(src: Path | None) -> dict[str, str]:
    """Environment of the tierguard processes: with --src, that tree's package shadows the installed one."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src / "src"), env.get("PYTHONPATH", "")) if p)
    return env


def run_scan(target: Path, out: Path, src: Path | None) -> dict[str, Any]:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "tierguard",
        "scan",
        str(target),
        "--country",
        "GB",
        "--sector",
        "government",
    ]
    proc = subprocess.run(
        [*cmd, "--format", "json", "--output", str(out), "--no-progress"],
        capture_output=True,
        text=True,
        env=tierguard_env(src),
    )
    if proc.returncode not in (0, 1) or not out.exists():
        raise SystemExit(f"tierguard scan {target} failed ({proc.returncode}): {proc.stderr.strip()[:500]}")
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


def catalog_jurisdictions(src: Path | None) -> dict[str, str]:
    cmd = [sys.executable, "-m", "tierguard", "catalog", "show", "producers", "--format", "json"]
    proc = subprocess.run(cmd, check=True, capture_output=True, text=True, env=tierguard_env(src))
    data = json.loads(proc.stdout)
    return {e["id"]: e["jurisdiction"] for e in data["entries"]}


def ev_path(ev: dict[str, Any]) -> str:
    loc = ev.get("location") or {}
    path = str(loc.get("path") or "")
    member = loc.get("member")
    return f"{path}!{member}" if member else path


def ev_providers(ev: dict[str, Any]) -> set[str]:
    refs = ev.get("refs") or {}
    return {str(refs[k]) for k in ("producer", "operator", "base_producer") if refs.get(k)}


def asset_providers(asset: dict[str, Any]) -> set[str]:
    prov = asset.get("provenance") or {}
    ids = {p["id"] for p in prov.get("producers") or [] if p.get("id")}
    operator = prov.get("service_operator") or {}
    if operator.get("id"):
        ids.add(operator["id"])
    return ids


def score(
    pkg_key: str,
    files: list[str],
    result: dict[str, Any],
    labels: dict[tuple[str, str], Label],
    juris: dict[str, str],
) -> Tally:
    t = Tally()
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for ev in result["evidence"]:
        by_file[ev_path(ev)].append(ev)
    rows = {rel: labels[(pkg_key, rel)] for rel in files if (pkg_key, rel) in labels}
    t.labelled = len(rows)
    _score_recall(t, pkg_key, rows, by_file, juris)
    _score_precision(t, pkg_key, rows, by_file, juris)
    _score_denies(t, pkg_key, rows, result)
    return t


def _score_recall(
    t: Tally,
    pkg_key: str,
    rows: dict[str, Label],
    by_file: dict[str, list[dict[str, Any]]],
    juris: dict[str, str],
) -> None:
    for rel, lab in rows.items():
        if lab.label != "real-use":
            continue
        t.real_use += 1
        for prov in sorted(lab.providers):
            evs = [e for e in by_file.get(rel, []) if prov in ev_providers(e)]
            found = any(e["strength"] in ("A", "B") for e in evs)
            cn = juris.get(prov) in CN_JURISDICTIONS
            if cn:
                t.recall_pairs += 1
                t.recall_found += found
            else:
                t.other_pairs += 1
                t.other_found += found
            if not found:
                best = evs[0] if evs else None
                got = (
                    f"{best['strength']} {best['detector']}: {best['excerpt'][:100]}"
                    if best
                    else "no evidence"
                )
                miss = {"package": pkg_key, "path": rel, "provider": prov, "got": got, "why": lab.why}
                (t.misses if cn else t.other_misses).append(miss)


def _score_precision(
    t: Tally,
    pkg_key: str,
    rows: dict[str, Label],
    by_file: dict[str, list[dict[str, Any]]],
    juris: dict[str, str],
) -> None:
    for rel, evs in sorted(by_file.items()):
        strong: dict[str, dict[str, Any]] = {}
        for ev in evs:
            if ev["strength"] not in ("A", "B"):
                continue
            for prov in ev_providers(ev):
                if juris.get(prov) in CN_JURISDICTIONS:
                    strong.setdefault(prov, ev)
        lab = rows.get(rel) or rows.get(rel.split("!", 1)[0])
        for prov, ev in sorted(strong.items()):
            t.cn_pairs += 1
            if lab is not None and lab.label == "real-use" and prov in lab.providers:
                t.cn_correct += 1
                continue
            t.false_alarms.append(
                {
                    "package": pkg_key,
                    "path": rel,
                    "provider": prov,
                    "label": "unlabelled" if lab is None else lab.label,
                    "evidence": f"{ev['strength']} {ev['detector']}/{ev['kind']} "
                    f"line {(ev.get('location') or {}).get('line')}: {ev['excerpt'][:120]}",
                }
            )


def _score_denies(t: Tally, pkg_key: str, rows: dict[str, Label], result: dict[str, Any]) -> None:
    assets = {a["id"]: a for a in result["assets"]}
    for dec in result["decisions"]:
        if dec["verdict"] != "deny":
            continue
        t.denies += 1
        asset = assets.get(dec["asset_id"], {})
        evs = asset.get("evidence") or []
        driving = [e for e in evs if e["strength"] in ("A", "B")] or evs
        provs = asset_providers(asset)
        justified = pkg_key != TRAPS and any(
            (lab := rows.get(ev_path(e).split("!", 1)[0])) is not None
            and lab.label == "real-use"
            and (not provs or bool(provs & lab.providers))
            for e in driving
        )
        if not justified:
            t.false_denies += 1
            t.false_deny_list.append(
                {
                    "package": pkg_key,
                    "asset": f"{asset.get('kind')} {asset.get('name')}",
                    "rules": sorted({m["rule_id"] for m in dec["matches"] if m["verdict"] == "deny"}),
                    "files": sorted({ev_path(e) for e in driving})[:5],
                    "excerpt": (driving[0]["excerpt"][:100] if driving else ""),
                }
            )


# ---------------------------------------------------------------- report


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:.1f}%" if den else "-"


def print_table(per: dict[str, Tally], total: Tally) -> None:
    head = (
        f"{'package':<42} {'files':>5} {'real':>4} {'recall A/B':>16} {'CN A/B precision':>18} "
        f"{'deny':>4} {'false deny':>10}"
    )
    print(head)
    print("-" * len(head))
    for key, t in [*per.items(), ("ALL", total)]:
        rec = f"{t.recall_found}/{t.recall_pairs} {pct(t.recall_found, t.recall_pairs)}"
        pre = f"{t.cn_correct}/{t.cn_pairs} {pct(t.cn_correct, t.cn_pairs)}"
        cells = f"{t.labelled:>5} {t.real_use:>4} {rec:>16} {pre:>18} {t.denies:>4} {t.false_denies:>10}"
        print(f"{key:<42} {cells}")
    other = f"{total.other_found}/{total.other_pairs} {pct(total.other_found, total.other_pairs)}"
    print(f"\nnon-PRC providers in labelled real-use files, found at A/B: {other}")
    print("targets: recall >= 95 %, precision >= 97 %, 0 false DENY")


def print_errors(total: Tally, show: int) -> None:
    sections: list[tuple[str, list[dict[str, Any]]]] = [
        ("MISSES (real use, no A/B evidence for the provider)", total.misses),
        ("NON-PRC MISSES (for information)", total.other_misses),
        ("FALSE ALARMS (A/B CN evidence not backed by a real-use label)", total.false_alarms),
        ("FALSE DENYS", total.false_deny_list),
    ]
    for title, items in sections:
        print(f"\n{title}: {len(items)}")
        if title.startswith("FALSE ALARMS"):
            by = Counter(f"{i['label']} / {i['evidence'].split(':', 1)[0].split(' line')[0]}" for i in items)
            for k, n in by.most_common():
                print(f"   {n:4d}  {k}")
        for item in items[:show]:
            print("   " + " | ".join(str(v) for v in item.values()))


def measured_commit(src: Path | None) -> str:
    """What was measured: --src's COMMIT file (see README), else this checkout's HEAD and src/'s state."""
    if src is not None:
        stamp = src / "COMMIT"
        return stamp.read_text(encoding="utf-8").strip() if stamp.exists() else f"the tree at {src}"

    def git(*args: str) -> str:
        proc = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return proc.stdout.strip()

    head = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    return f"{head}{' + uncommitted changes in src/' if dirty else ''}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_cache = os.environ.get("TIERGUARD_BENCH_CACHE", "~/.cache/tierguard-bench/accuracy")
    ap.add_argument("--cache", type=Path, default=Path(default_cache).expanduser())
    ap.add_argument("--package", action="append", default=[], help="only these packages (name); repeatable")
    ap.add_argument("--candidates", action="store_true", help="list in-scope files a labeller must read")
    ap.add_argument("--json", type=Path, help="also write the figures and every error as JSON")
    ap.add_argument("--show", type=int, default=1000, help="errors listed per section")
    ap.add_argument("--src", type=Path, help="measure the tierguard source tree at SRC (SRC/src/tierguard)")
    args = ap.parse_args(argv)

    corpus = [p for p in load_corpus(HERE / "corpus.toml") if not args.package or p.name in args.package]
    labels = load_labels(HERE / "labels.csv")
    cache: Path = args.cache
    targets: list[tuple[str, Path, list[str]]] = []
    for pkg in corpus:
        root = fetch(pkg, cache)
        targets.append((pkg.key, root, in_scope(pkg, root)))
    if not args.package or TRAPS in args.package:
        traps = HERE / TRAPS
        targets.append(
            (TRAPS, traps, sorted(p.relative_to(traps).as_posix() for p in traps.rglob("*") if p.is_file()))
        )
    if args.candidates:
        for key, root, files in targets:
            candidates(key, root, files, labels)
        return 0

    src: Path | None = args.src
    juris = catalog_jurisdictions(src)
    unknown = sorted({p for lab in labels.values() for p in lab.providers | lab.mentions} - set(juris))
    if unknown:
        raise SystemExit(f"labels.csv names providers the catalog does not know: {unknown}")
    per: dict[str, Tally] = {}
    total = Tally()
    for key, root, files in targets:
        dest = cache / "stage" / key
        stage(root, files, dest)
        result = run_scan(dest, cache / "results" / f"{key}.json", src)
        per[key] = score(key, files, result, labels, juris)
        total.add(per[key])
    stray = sorted({k for k in labels} - {(k, f) for k, _r, fs in targets for f in fs})
    if stray and not args.package:
        print(f"warning: {len(stray)} labels name no in-scope file, e.g. {stray[:3]}", file=sys.stderr)
    commit = measured_commit(src)
    print(f"tierguard at {commit}; context GB government; all shipped packs\n")
    print_table(per, total)
    print_errors(total, args.show)
    if args.json:
        summary = {k: {f: getattr(t, f) for f in Tally.__dataclass_fields__} for k, t in per.items()}
        args.json.write_text(json.dumps({"commit": commit, "packages": summary}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
