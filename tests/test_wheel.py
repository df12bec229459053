"""The built wheel stands alone: installed into a fresh venv, away from the checkout, it
serves pages, static files and provider data from the copies it carries (app/_bundled)."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.realservers import free_udp_port, serve_app, unavailable

pytestmark = pytest.mark.realserver

REPO = Path(__file__).resolve().parent.parent
BUNDLED = "app/_bundled"

# Run by the new venv's python: where app and its resources come from, and what it imports.
WHERE_FROM = """
import json, sys
from pathlib import Path
import app, app.cli, app.main, app.paths
from app.paths import DATA_DIR, STATIC_DIR, TEMPLATES_DIR
print(json.dumps({
    "modules": [m.__file__ for m in (app, app.cli, app.main, app.paths)],
    "resources": [str(p) for p in (DATA_DIR, TEMPLATES_DIR, STATIC_DIR)],
    "sys_path": sys.path,
    "packages": [p for p in sys.path if (Path(p) / "app" / "__init__.py").is_file()],
    "finders": [f"{type(f).__module__}.{type(f).__qualname__}" for f in sys.meta_path],
}))
"""


@dataclass(frozen=True)
class Installed:
    """The built wheel and the venv it is installed in."""

    wheel: Path
    venv: Path
    site: Path  # the new venv's site-packages
    home: Path  # a scratch directory outside the checkout: cwd and HOME of its processes


def _run(
    command: list[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``command``; fail the test with its output if it exits non-zero."""
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        pytest.fail(
            f"{command} exited {done.returncode}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done


def _test_site_dirs() -> list[str]:
    """This test environment's site-packages (where the wheel's dependencies are)."""
    paths = sysconfig.get_paths()
    return list(dict.fromkeys([paths["purelib"], paths["platlib"]]))


def _clean_env(home: Path, **extra: str) -> dict[str, str]:
    """A minimal environment: no PYTHON* or MAILSETUP_* variables but ``extra``."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",  # never write into this environment's site-packages
        **extra,
    }


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The checkout's wheel, built offline, installed alone into a fresh venv whose only
    other packages are this environment's, reached through a .pth line."""
    for module, why in (("hatchling", "the build backend"), ("pip", "the installer")):
        if importlib.util.find_spec(module) is None:
            unavailable(f"{module} ({why}) is not installed in {sys.prefix}")
    root = tmp_path_factory.mktemp("wheel")
    dist, venv, home = root / "dist", root / "venv", root / "home"
    home.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    _run(
        [
            *pip,
            "wheel",
            "--no-build-isolation",
            "--no-deps",
            "--no-index",
            "-w",
            str(dist),
            str(REPO),
        ]
    )
    (wheel,) = dist.glob("mailsetup-*.whl")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    # The wheel goes in before the .pth exists, so pip never sees the editable install.
    _run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)], cwd=home
    )
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=home
    )
    site = Path(purelib.stdout.strip())
    assert site.is_relative_to(venv), site
    # A plain path line: site adds the folder but does not read the .pth files in it, so
    # the editable install's line (the checkout) stays out.
    (site / "test-environment.pth").write_text("\n".join(_test_site_dirs()) + "\n")
    return Installed(wheel, venv, site, home)


@pytest.fixture(scope="module")
def served(installed: Installed) -> Iterator[httpx.Client]:
    """A client for ``mailsetup serve`` from the new venv, run outside the checkout with
    no DNS or ISPDB to reach."""
    env = _clean_env(
        installed.home,
        MAILSETUP_ISPDB_URL="http://127.0.0.1:9/v1.1/",
        MAILSETUP_DNS_SERVERS=f"127.0.0.1:{free_udp_port()}",
        MAILSETUP_DNS_TIMEOUT="1",
    )
    command = [str(installed.venv / "bin" / "mailsetup")]
    log = installed.home / "serve.log"
    with (
        serve_app(env, log, log_level="info", command=command, cwd=installed.home) as url,
        httpx.Client(base_url=url, timeout=10, trust_env=False) as client,
    ):
        yield client


def test_wheel_carries_data_templates_and_static(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as whl:
        names = set(whl.namelist())
        (record_name,) = (n for n in names if re.fullmatch(r"mailsetup-[^/]+\.dist-info/RECORD", n))
        record = whl.read(record_name)
    recorded = {line.split(",")[0] for line in record.decode().splitlines() if line}
    for pattern in (r"data/providers/[^/]+\.toml", r"templates/[^/]+\.html", r"static/style\.css"):
        bundled = {n for n in names if re.fullmatch(f"{BUNDLED}/{pattern}", n)}
        assert bundled, f"no {BUNDLED}/{pattern} in {installed.wheel.name}"
        assert bundled <= recorded, bundled - recorded
    checkout = {
        f"{BUNDLED}/{p.relative_to(REPO).as_posix()}"
        for folder in ("data", "templates", "static")
        for p in (REPO / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert checkout <= names, sorted(checkout - names)


def test_installed_app_comes_from_the_new_venv(installed: Installed) -> None:
    """Not from the checkout: the editable install in this environment must not leak in."""
    done = _run(
        [str(installed.venv / "bin" / "python"), "-c", WHERE_FROM],
        cwd=installed.home,
        env=_clean_env(installed.home),
    )
    found = json.loads(done.stdout)
    for module in found["modules"]:
        assert Path(module).is_relative_to(installed.site), module
    for resource in found["resources"]:
        path = Path(resource)
        assert path.is_relative_to(installed.site / "app" / "_bundled"), path
        assert path.is_dir(), path
    test_sites = {Path(p).resolve() for p in _test_site_dirs()}
    for entry in found["sys_path"]:
        path = Path(entry or installed.home).resolve()
        if path.is_relative_to(REPO):
            assert path in test_sites, f"{path} (inside the checkout) is on sys.path"
    # Whatever the checkout's location: no other importable app package on sys.path.
    assert [Path(p) for p in found["packages"]] == [installed.site]
    editable = [f for f in found["finders"] if "editable" in f.lower()]
    assert not editable, editable


def test_home_page_from_bundled_templates(served: httpx.Client, installed: Installed) -> None:
    page = served.get("/", headers={"Accept-Language": "en"})
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Set up your mail in any app" in page.text
    count = re.search(r"(\d+) providers in the database", page.text)
    assert count, page.text
    with zipfile.ZipFile(installed.wheel) as whl:
        toml = [n for n in whl.namelist() if re.fullmatch(rf"{BUNDLED}/data/providers/.+\.toml", n)]
    assert int(count[1]) == len(toml)


def test_static_file_from_the_wheel(served: httpx.Client, installed: Installed) -> None:
    css = served.get("/static/style.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert css.content
    with zipfile.ZipFile(installed.wheel) as whl:
        assert css.content == whl.read(f"{BUNDLED}/static/style.css")


def test_provider_data_from_the_wheel(served: httpx.Client) -> None:
    record = served.get("/api/v1/providers/qq.com")
    assert record.status_code == 200, record.text
    imap = [s["host"] for s in record.json()["servers"] if s["protocol"] == "imap"]
    assert imap == ["imap.qq.com"]

    answer = served.get("/api/v1/lookup", params={"email": "someone@qq.com"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["provider"] == "qq.com"
    assert body["source"] == "database"
    imap = [e["host"] for e in body["endpoints"] if e["protocol"] == "imap"]
    assert imap == ["imap.qq.com"]


def test_health_and_readiness(served: httpx.Client) -> None:
    health = served.get("/healthz")
    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    ready = served.get("/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {"status": "ready", "checks": {"data": True}}
