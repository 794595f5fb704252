"""This machine's installed apps, from what is readable without root: dpkg's status file, flatpak and snap
install directories, ``*.desktop`` launchers, macOS ``*.app`` bundles (their Info.plist, parsed as data),
and per-user Chrome/Chromium/Edge/Brave and Firefox extension directories and VS Code extensions under each
home directory. Nothing found is opened beyond a bounded read of a small metadata file; nothing is run.
``root`` stands for ``/`` (tests pass a fake tree)."""

from __future__ import annotations

import os
import plistlib
import re
from collections.abc import Iterator
from pathlib import Path
from xml.parsers.expat import ExpatError

from tierguard.apps.catalog import IdKind
from tierguard.apps.collect import Collector, Item

MAX_META = 256 << 10  # bytes read from one .desktop / Info.plist file
MAX_ENTRIES = 20_000  # directory entries looked at per directory
_DPKG_CAP = 64 << 20

# (path under a home directory, extension id kinds, browser label); "*" is one profile directory
CHROMIUM_DIRS: tuple[tuple[str, tuple[IdKind, ...], str], ...] = (
    (".config/google-chrome/*/Extensions", ("chrome",), "chrome"),
    (".config/chromium/*/Extensions", ("chrome",), "chromium"),
    (".config/BraveSoftware/Brave-Browser/*/Extensions", ("chrome",), "brave"),
    (".config/microsoft-edge/*/Extensions", ("edge", "chrome"), "edge"),
    ("Library/Application Support/Google/Chrome/*/Extensions", ("chrome",), "chrome"),
    ("Library/Application Support/Microsoft Edge/*/Extensions", ("edge", "chrome"), "edge"),
    ("Library/Application Support/BraveSoftware/Brave-Browser/*/Extensions", ("chrome",), "brave"),
)
FIREFOX_DIRS = (".mozilla/firefox/*/extensions", "Library/Application Support/Firefox/Profiles/*/extensions")
VSCODE_DIRS = (
    ".vscode/extensions",
    ".vscode-server/extensions",
    ".vscode-oss/extensions",
    ".cursor/extensions",
)
DESKTOP_DIRS = (
    "usr/share/applications",
    "usr/local/share/applications",
    "var/lib/flatpak/exports/share/applications",
    "var/lib/snapd/desktop/applications",
)
_EXT_ID = re.compile(r"^[a-p]{32}$")
_VSCODE_DIR = re.compile(r"^([\w-]+\.[\w.-]+?)-\d+\.\d+")


class Walker:
    """Collects local installs into a collector; an unreadable directory or file is a Skipped."""

    def __init__(self, root: Path, col: Collector, host: str) -> None:
        self.root = root
        self.col = col
        self.host = host

    def rel(self, p: Path) -> str:
        try:
            return p.relative_to(self.root).as_posix()
        except ValueError:
            return p.as_posix()

    def entries(self, d: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(d) as it:
                out = []
                for i, e in enumerate(it):
                    if i >= MAX_ENTRIES:
                        self.col.skip(
                            "too-many-entries", None, f"{self.rel(d)}: more than {MAX_ENTRIES} entries"
                        )
                        break
                    out.append(e)
                return out
        except FileNotFoundError:
            return []
        except OSError as exc:
            self.col.skip(
                "permission-denied" if isinstance(exc, PermissionError) else "unreadable",
                None,
                f"{self.rel(d)}: {exc}",
            )
            return []

    def glob(self, base: Path, pattern: str) -> Iterator[Path]:
        """Directories matching ``pattern`` ("*" = any one directory) under ``base``; no symlink followed."""
        dirs = [base]
        for part in pattern.split("/"):
            nxt = []
            for d in dirs:
                if part == "*":
                    nxt += [Path(e.path) for e in self.entries(d) if e.is_dir(follow_symlinks=False)]
                else:
                    p = d / part
                    if p.is_dir() and not p.is_symlink():
                        nxt.append(p)
            dirs = nxt
        yield from dirs

    def read(self, p: Path) -> bytes | None:
        try:
            with p.open("rb") as fh:
                return fh.read(MAX_META)
        except OSError as exc:
            self.col.skip("unreadable", None, f"{self.rel(p)}: {exc}")
            return None

    def add(self, p: Path, line: int, user: str | None, source: str, **kw: object) -> None:
        it = Item(
            line=line,
            excerpt=f"{source}: {self.rel(p)}",
            source=source,
            host=self.host,
            user=user,
            path=self.rel(p),
        )
        for k, v in kw.items():
            setattr(it, k, v)
        self.col.add(it)

    # ---- sources ----------------------------------------------------------------------------------------

    def homes(self) -> Iterator[tuple[str, Path]]:
        for parent in ("home", "Users"):
            for e in self.entries(self.root / parent):
                if e.is_dir(follow_symlinks=False) and e.name not in ("Shared", "lost+found"):
                    yield e.name, Path(e.path)
        r = self.root / "root"
        if r.is_dir() and not r.is_symlink():
            yield "root", r

    def dpkg(self) -> None:
        p = self.root / "var/lib/dpkg/status"
        try:
            with p.open("rb") as fh:
                data = fh.read(_DPKG_CAP + 1)
        except FileNotFoundError:
            return
        except OSError as exc:
            self.col.skip("unreadable", None, f"{self.rel(p)}: {exc}")
            return
        if len(data) > _DPKG_CAP:
            self.col.skip("too-large", None, f"{self.rel(p)}: over {_DPKG_CAP} bytes, read the first part")
        name, start, installed = "", 0, False
        for n, raw in enumerate(data[:_DPKG_CAP].decode("utf-8", "replace").splitlines() + [""], 1):
            if raw.startswith("Package:"):
                name, start, installed = raw[8:].strip(), n, False
            elif raw.startswith("Status:"):
                installed = raw.rstrip().endswith(" installed")
            elif not raw.strip() and name:
                if installed:
                    self.add(p, start, None, "dpkg", packages=[("deb", name)], names=[name], platform="linux")
                name = ""

    def snaps_and_flatpaks(self) -> None:
        for e in self.entries(self.root / "snap"):
            if e.is_dir(follow_symlinks=False) and e.name != "bin":
                self.add(
                    Path(e.path),
                    0,
                    None,
                    "snap",
                    packages=[("snap", e.name)],
                    names=[e.name],
                    platform="linux",
                )
        bases: list[tuple[Path, str | None]] = [(self.root / "var/lib/flatpak/app", None)]
        for base, user in bases + [(h / ".local/share/flatpak/app", u) for u, h in self.homes()]:
            for e in self.entries(base):
                if e.is_dir(follow_symlinks=False):
                    self.add(
                        Path(e.path), 0, user, "flatpak", packages=[("flatpak", e.name)], platform="linux"
                    )

    def desktop_files(self) -> None:
        dirs: list[tuple[Path, str | None]] = [(self.root / d, None) for d in DESKTOP_DIRS]
        dirs += [(h / ".local/share/applications", u) for u, h in self.homes()]
        for d, user in dirs:
            for e in self.entries(d):
                if e.name.endswith(".desktop") and e.is_file(follow_symlinks=False):
                    self._desktop(Path(e.path), user)

    def _desktop(self, p: Path, user: str | None) -> None:
        data = self.read(p)
        if data is None:
            return
        names, line = [], 0
        in_entry = False
        for n, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
            s = raw.strip()
            if s.startswith("["):
                in_entry = s == "[Desktop Entry]"
            elif in_entry and (s.startswith("Name=") or s.startswith("Name[")):
                names.append(s.split("=", 1)[1].strip())
                line = line or n
        if names:
            self.add(p, line, user, "desktop-file", names=names, platform="linux")

    def mac_apps(self) -> None:
        dirs = [(self.root / "Applications", None)] + [(h / "Applications", u) for u, h in self.homes()]
        for d, user in dirs:
            for e in self.entries(d):
                if e.name.endswith(".app") and e.is_dir(follow_symlinks=False):
                    self._bundle(Path(e.path), user)

    def _bundle(self, app: Path, user: str | None) -> None:
        plist = app / "Contents" / "Info.plist"
        names = [app.name]
        ids: list[tuple[IdKind, str]] = []
        data = self.read(plist) if plist.is_file() else None
        if data:
            try:
                info = plistlib.loads(data)
            except (
                plistlib.InvalidFileException,
                ExpatError,
                ValueError,
                TypeError,
                OverflowError,
                RecursionError,
            ) as exc:
                self.col.skip("malformed", None, f"{self.rel(plist)}: {exc}")
                info = {}
            if isinstance(info, dict):
                bid = info.get("CFBundleIdentifier")
                if isinstance(bid, str):
                    ids = [("macos", bid[:200]), ("ios", bid[:200])]
                names += [
                    v[:200]
                    for k in ("CFBundleDisplayName", "CFBundleName")
                    if isinstance(v := info.get(k), str)
                ]
        self.add(app, 0, user, "app-bundle", ids=ids, names=names, platform="macos")

    def browser_extensions(self) -> None:
        for user, home in self.homes():
            for pattern, kinds, label in CHROMIUM_DIRS:
                for d in self.glob(home, pattern):
                    for e in self.entries(d):
                        if _EXT_ID.match(e.name) and e.is_dir(follow_symlinks=False):
                            ids = [(k, e.name) for k in kinds]
                            self.add(
                                Path(e.path), 0, user, f"{label}-extension", ids=ids, platform="extension"
                            )
            for pattern in FIREFOX_DIRS:
                for d in self.glob(home, pattern):
                    for e in self.entries(d):
                        ident = e.name[:-4] if e.name.endswith(".xpi") else e.name
                        self.add(
                            Path(e.path),
                            0,
                            user,
                            "firefox-addon",
                            ids=[("firefox", ident)],
                            platform="extension",
                        )

    def vscode(self) -> None:
        for user, home in self.homes():
            for pattern in VSCODE_DIRS:
                for d in self.glob(home, pattern):
                    for e in self.entries(d):
                        m = _VSCODE_DIR.match(e.name)
                        if m and e.is_dir(follow_symlinks=False):
                            self.add(
                                Path(e.path),
                                0,
                                user,
                                "vscode-extension",
                                ids=[("vscode", m.group(1))],
                                platform="extension",
                            )

    def run(self) -> None:
        self.dpkg()
        self.snaps_and_flatpaks()
        self.desktop_files()
        self.mac_apps()
        self.browser_extensions()
        self.vscode()
