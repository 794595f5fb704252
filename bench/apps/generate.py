"""Generate an osqueryd snapshot results log of the app tables for N hosts (fixed seed).

usage: python bench/apps/generate.py /tmp/osquery-apps.log 10000 [--gzip]

Host mix: 50% Windows (programs, chrome_extensions), 40% macOS (apps, chrome_extensions, vscode_extensions,
homebrew_packages), 10% Linux (deb_packages, python_packages, npm_packages, chrome_extensions). Most rows
are ordinary software; ~4% of hosts carry a PRC AI app (DeepSeek, Kimi, Doubao desktop programs or
bundles, the Kimi WebBridge extension, CodeGeeX/TONGYI Lingma in VS Code), ~30% ChatGPT or Claude.
"""

from __future__ import annotations

import gzip
import json
import random
import sys
from pathlib import Path
from typing import TextIO

SEED = 42
T0 = 1764576000
WIN_COMMON = [
    ("Google Chrome", "Google LLC"),
    ("Microsoft Edge", "Microsoft Corporation"),
    ("Microsoft 365 Apps for enterprise - en-us", "Microsoft Corporation"),
    ("Zoom Workplace (64-bit)", "Zoom Video Communications, Inc."),
    ("7-Zip 24.08 (x64)", "Igor Pavlov"),
    ("Notepad++ (64-bit x64)", "Notepad++ Team"),
    ("Adobe Acrobat (64-bit)", "Adobe"),
    ("Python 3.12.7 (64-bit)", "Python Software Foundation"),
    ("Git", "The Git Development Community"),
    ("Microsoft Visual C++ 2015-2022 Redistributable (x64) - 14.40.33810", "Microsoft Corporation"),
]
MAC_COMMON = [
    ("Safari", "com.apple.Safari"),
    ("Google Chrome", "com.google.Chrome"),
    ("Slack", "com.tinyspeck.slackmacgap"),
    ("zoom.us", "us.zoom.xos"),
    ("Microsoft Word", "com.microsoft.Word"),
    ("Microsoft Excel", "com.microsoft.Excel"),
    ("Visual Studio Code", "com.microsoft.VSCode"),
    ("iTerm", "com.googlecode.iterm2"),
    ("1Password 7", "com.agilebits.onepassword7"),
    ("Keynote", "com.apple.iWork.Keynote"),
]
EXT_COMMON = [
    ("Google Docs Offline", "ghbmnnjooekpmoecnnnilnnbdlolhkhi"),
    ("uBlock Origin", "cjpalhdlnbpafiamejdnhcphjbkeiagm"),
    ("LastPass", "hdokiejnpimakedhajhdlcegeplioahd"),
    ("Grammarly", "kbfnbcaeplbcioakkpcpgfkobkghlhen"),
]
VSCODE_COMMON = [
    ("ms-python", "python"),
    ("ms-vscode", "cpptools"),
    ("esbenp", "prettier-vscode"),
    ("redhat", "java"),
]


def _filler(rng: random.Random, prefix: str, n: int) -> list[str]:
    return [f"{prefix} {rng.randrange(10**6):06d}" for _ in range(n)]


def win_host(rng: random.Random, i: int) -> dict[str, list[dict[str, str]]]:
    rows = [
        {"name": n, "version": f"{rng.randrange(1, 30)}.{rng.randrange(10)}", "publisher": p}
        for n, p in WIN_COMMON
    ]
    rows += [
        {"name": n, "version": "1.0", "publisher": "Contoso Ltd."}
        for n in _filler(rng, "Line-of-business app", 70)
    ]
    if rng.random() < 0.3:
        rows.append({"name": "ChatGPT", "version": "1.2025.300", "publisher": "OpenAI"})
    if rng.random() < 0.02:
        rows.append({"name": "DeepSeek", "version": "1.3.0", "publisher": "DeepSeek"})
    if rng.random() < 0.01:
        rows.append(
            {"name": "豆包", "version": "1.45.3", "publisher": "Beijing Chuntian Zhiyun Technology Co., Ltd."}
        )
    for r in rows:
        r.update(
            {
                "install_source": "",
                "language": "1033",
                "uninstall_string": f"C:\\Program Files\\{r['name']}\\uninstall.exe",
                "install_date": "20251020",
                "identifying_number": "",
            }
        )
    return {
        "programs": rows,
        "chrome_extensions": ext_rows(
            rng, f"C:\\Users\\user{i}\\AppData\\Local\\Google\\Chrome\\User Data\\Default"
        ),
    }


def mac_host(rng: random.Random, i: int) -> dict[str, list[dict[str, str]]]:
    apps = list(MAC_COMMON) + [
        (n, f"com.contoso.app{k}") for k, n in enumerate(_filler(rng, "Contoso Tool", 60))
    ]
    if rng.random() < 0.3:
        apps.append(("Claude", "com.anthropic.claudefordesktop"))
    if rng.random() < 0.02:
        apps.append(("Kimi", "com.moonshot.kimichat"))
    rows = [
        {
            "name": f"{n}.app",
            "path": f"/Applications/{n}.app",
            "bundle_executable": n,
            "bundle_identifier": b,
            "bundle_name": n,
            "bundle_short_version": "1.0",
            "bundle_version": "100",
            "bundle_package_type": "APPL",
            "display_name": n,
            "category": "public.app-category.productivity",
            "last_opened_time": str(T0 - rng.randrange(10**6)),
        }
        for n, b in apps
    ]
    vscode = list(VSCODE_COMMON) + ([("aminer", "codegeex")] if rng.random() < 0.02 else [])
    vs = [
        {
            "name": n,
            "uuid": f"{rng.getrandbits(64):016x}",
            "version": "1.0.0",
            "path": f"/Users/user{i}/.vscode/extensions/{p}.{n}-1.0.0",
            "publisher": p,
            "publisher_id": "x",
            "installed_at": str(T0),
            "prerelease": "0",
            "uid": "501",
            "vscode_edition": "vscode",
        }
        for p, n in vscode
    ]
    brew = [
        {"name": n, "path": f"/opt/homebrew/Cellar/{n}/1.0", "version": "1.0"}
        for n in ("git", "wget", "jq", "openssl@3", "python@3.12", "node", "ripgrep", "gh")
    ]
    return {
        "apps": rows,
        "chrome_extensions": ext_rows(
            rng, f"/Users/user{i}/Library/Application Support/Google/Chrome/Default"
        ),
        "vscode_extensions": vs,
        "homebrew_packages": brew,
    }


def linux_host(rng: random.Random, i: int) -> dict[str, list[dict[str, str]]]:
    debs = [
        {
            "name": f"lib{n.split()[-1]}",
            "version": "1.0-1",
            "source": "",
            "size": "100",
            "arch": "amd64",
            "revision": "1",
            "status": "install ok installed",
            "maintainer": "Debian",
            "section": "libs",
            "priority": "optional",
        }
        for n in _filler(rng, "pkg", 200)
    ]
    py = [
        {
            "name": n,
            "version": "1.0",
            "summary": "",
            "author": "",
            "license": "MIT",
            "path": "/usr/lib/python3/dist-packages",
        }
        for n in ("requests", "urllib3", "idna", "certifi", "PyYAML", "numpy", "pandas", "six")
    ]
    npm = [
        {
            "name": n,
            "version": "1.0.0",
            "description": "",
            "author": "",
            "license": "MIT",
            "homepage": "",
            "path": f"/usr/lib/node_modules/{n}",
            "directory": "/usr/lib",
            "depth": "0",
        }
        for n in ("npm", "corepack", "typescript")
    ]
    if rng.random() < 0.05:
        npm.append(
            {
                "name": "@qwen-code/qwen-code",
                "version": "0.1.0",
                "description": "",
                "author": "",
                "license": "Apache-2.0",
                "homepage": "",
                "path": "/usr/lib/node_modules/@qwen-code/qwen-code",
                "directory": "/usr/lib",
                "depth": "0",
            }
        )
    return {
        "deb_packages": debs,
        "python_packages": py,
        "npm_packages": npm,
        "chrome_extensions": ext_rows(rng, f"/home/user{i}/.config/google-chrome/Default"),
    }


def ext_rows(rng: random.Random, profile: str) -> list[dict[str, str]]:
    exts = list(EXT_COMMON) + (
        [("Kimi WebBridge", "fldmhceldgbpfpkbgopacenieobmligc")] if rng.random() < 0.01 else []
    )
    return [
        {
            "browser_type": "chrome",
            "uid": "501",
            "name": n,
            "profile": "Person 1",
            "profile_path": profile,
            "referenced_identifier": x,
            "identifier": x,
            "version": "1.0",
            "description": "",
            "update_url": "",
            "author": "",
            "persistent": "0",
            "path": f"{profile}/Extensions/{x}/1.0_0",
            "permissions": "storage",
            "from_webstore": "true",
            "state": "1",
        }
        for n, x in exts
    ]


def write(out: TextIO, hosts: int) -> int:
    rng = random.Random(SEED)
    lines = 0
    for i in range(hosts):
        r = rng.random()
        host = f"host-{i:05d}"
        tables = win_host(rng, i) if r < 0.5 else mac_host(rng, i) if r < 0.9 else linux_host(rng, i)
        for table, rows in tables.items():
            obj = {
                "name": f"pack_inventory_{table}",
                "hostIdentifier": host,
                "calendarTime": "Mon Dec  1 08:00:00 2025 UTC",
                "unixTime": T0 + i,
                "epoch": 0,
                "counter": 0,
                "numerics": False,
                "decorations": {"username": f"user{i}"},
                "action": "snapshot",
                "snapshot": rows,
            }
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            lines += 1
    return lines


def main() -> None:
    path, hosts = Path(sys.argv[1]), int(sys.argv[2])
    if "--gzip" in sys.argv[3:]:
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as fh:
            n = write(fh, hosts)
    else:
        with path.open("w", encoding="utf-8") as fh:
            n = write(fh, hosts)
    print(f"{path}: {n} lines, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
