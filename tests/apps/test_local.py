"""This host's installed apps, from a fake root: dpkg, snap, flatpak, .desktop files, macOS bundles,
browser and VS Code extensions; symlinks are not followed out of the tree."""

from __future__ import annotations

import plistlib
from pathlib import Path

from tierguard.apps import AppCatalog, AppOptions, local_apps


def _tree(root: Path) -> None:
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(
        "Package: bash\nStatus: install ok installed\nVersion: 5.2\n\n"
        "Package: kimi\nStatus: deinstall ok config-files\n\n"
        "Package: Doubao\nStatus: install ok installed\nVersion: 1.0\n"
    )
    apps = root / "usr/share/applications"
    apps.mkdir(parents=True)
    (apps / "deepseek.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=DeepSeek\nExec=/opt/ds/ds\n"
    )
    (apps / "gedit.desktop").write_text(
        "[Desktop Entry]\nName=Text Editor\n[Desktop Action new]\nName=DeepSeek\n"
    )
    home = root / "home/ann"
    ext = home / ".config/google-chrome/Default/Extensions/fldmhceldgbpfpkbgopacenieobmligc/0.2.3_0"
    ext.mkdir(parents=True)
    (home / ".config/google-chrome/Default/Extensions/not-an-id").mkdir()
    (home / ".vscode/extensions/aminer.codegeex-2.18.0").mkdir(parents=True)
    (home / ".vscode/extensions/ms-python.python-2024.1.0").mkdir(parents=True)
    ff = home / ".mozilla/firefox/abc.default/extensions"
    ff.mkdir(parents=True)
    (ff / "uBlock0@raymondhill.net.xpi").write_bytes(b"PK")
    bundle = root / "Applications/Kimi.app/Contents"
    bundle.mkdir(parents=True)
    (bundle / "Info.plist").write_bytes(
        plistlib.dumps({"CFBundleIdentifier": "com.moonshot.kimichat", "CFBundleName": "Kimi"})
    )
    bad = root / "Applications/Broken.app/Contents"
    bad.mkdir(parents=True)
    (bad / "Info.plist").write_bytes(b"<?xml garbage")
    (root / "snap/bin").mkdir(parents=True)
    (root / "snap/firefox").mkdir(parents=True)
    # a symlink leaving the tree is not followed
    outside = root.parent / "outside/.vscode/extensions/alibaba-cloud.tongyi-lingma-2.0.0"
    outside.mkdir(parents=True)
    (root / "home/bob").mkdir(parents=True)
    (root / "home/bob/.vscode").symlink_to(root.parent / "outside/.vscode")


def test_local_apps_from_a_fake_tree(tmp_path: Path, catalog: AppCatalog) -> None:
    root = tmp_path / "root"
    _tree(root)
    out = local_apps(root, catalog=catalog, options=AppOptions(host="ws-1"))
    got = sorted(
        (a.name, u.as_written, u.user, u.location.path, u.location.line) for a in out.assets for u in a.usages
    )
    assert got == [
        ("DeepSeek (app)", "DeepSeek", None, "usr/share/applications/deepseek.desktop", 3),
        ("Doubao (app)", "Doubao", None, "var/lib/dpkg/status", 8),
        ("Kimi (app)", "com.moonshot.kimichat", None, "Applications/Kimi.app", None),
        (
            "Kimi (app)",
            "fldmhceldgbpfpkbgopacenieobmligc",
            "ann",
            "home/ann/.config/google-chrome/Default/Extensions/fldmhceldgbpfpkbgopacenieobmligc",
            None,
        ),
        (
            "Zhipu Qingyan (ChatGLM) (app)",
            "aminer.codegeex",
            "ann",
            "home/ann/.vscode/extensions/aminer.codegeex-2.18.0",
            None,
        ),
    ]
    assert all(u.host == "ws-1" for a in out.assets for u in a.usages)
    assert [s.reason for s in out.skipped] == ["malformed"]
    assert "Broken.app" in out.skipped[0].path + out.skipped[0].detail


def test_empty_root(tmp_path: Path, catalog: AppCatalog) -> None:
    out = local_apps(tmp_path, catalog=catalog)
    assert out.assets == () and out.skipped == ()
