"""The lock files agree with pyproject.toml (offline: nothing is resolved or fetched).

requirements/runtime.txt and requirements/dev.txt are made by ``bash .ci/lock``. Each
range in pyproject.toml must have a pin in the lock that satisfies it on every
supported Python, every pin must carry hashes, and the packages the lock says it
took from pyproject.toml must be exactly those pyproject.toml names: a dependency
added, dropped or narrowed without re-locking fails here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13")
FROM_PYPROJECT = "mailsetup (pyproject.toml)"
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


@dataclass
class Pin:
    version: Version
    marker: Marker | None
    hashes: int = 0
    via: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, list[Pin]]:
    """Every pin in a uv/pip-tools requirements file, with its marker, hashes and sources."""
    pins: dict[str, list[Pin]] = {}
    current: Pin | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _PIN.match(line)
        if match:
            name, version, marker = match.groups()
            current = Pin(Version(version), Marker(marker) if marker else None)
            pins.setdefault(canonicalize_name(name), []).append(current)
        elif current is not None and line.strip().startswith("--hash=sha256:"):
            current.hashes += 1
        elif current is not None and line.strip().startswith("#"):
            text = line.strip().lstrip("#").strip()
            source = text.removeprefix("via").strip()
            if source:
                current.via.append(source)
    return pins


def environment(python: str) -> dict[str, str]:
    return {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}


def direct(extras: tuple[str, ...]) -> list[Requirement]:
    """pyproject.toml's dependencies and those of ``extras`` (self-references expanded)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    todo = list(extras)
    while todo:
        for text in project["optional-dependencies"][todo.pop()]:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == "mailsetup":
                todo.extend(requirement.extras)
            else:
                found.append(requirement)
    return found


LOCKS = {
    "runtime.txt": (),
    "dev.txt": ("dev",),
}


@pytest.mark.parametrize(("lock", "extras"), list(LOCKS.items()))
def test_the_lock_satisfies_every_range_on_every_python(lock: str, extras: tuple[str, ...]) -> None:
    pins = read_lock(ROOT / "requirements" / lock)
    build = [Requirement(r) for r in _lines(ROOT / "requirements" / "build.in")]
    for requirement in [*direct(extras), *build]:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in {lock}: run bash .ci/lock"
        for python in PYTHONS:
            env = environment(python)
            if requirement.marker is not None and not requirement.marker.evaluate(env):
                continue
            chosen = [p for p in pins[name] if p.marker is None or p.marker.evaluate(env)]
            assert len(chosen) == 1, f"{name}: {len(chosen)} pins for Python {python} in {lock}"
            assert requirement.specifier.contains(chosen[0].version, prereleases=True), (
                f"{lock} pins {name}=={chosen[0].version}, outside {requirement}: run bash .ci/lock"
            )


@pytest.mark.parametrize(("lock", "extras"), list(LOCKS.items()))
def test_the_lock_takes_from_pyproject_exactly_what_it_names(
    lock: str, extras: tuple[str, ...]
) -> None:
    pins = read_lock(ROOT / "requirements" / lock)
    named = {canonicalize_name(r.name) for r in direct(extras)}
    taken = {name for name, entries in pins.items() for p in entries if FROM_PYPROJECT in p.via}
    assert taken == named, f"{lock} is stale: run bash .ci/lock"


@pytest.mark.parametrize("lock", list(LOCKS))
def test_every_pin_has_hashes_and_the_header_names_the_command(lock: str) -> None:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    assert "#    bash .ci/lock" in text.splitlines()[1]
    for name, entries in read_lock(ROOT / "requirements" / lock).items():
        assert all(p.hashes for p in entries), f"{name} has no hash in {lock}"


def test_the_lock_reader_sees_what_a_stale_lock_would_hide(tmp_path: Path) -> None:
    """The checks above can fail: a pin outside its range and a missing hash are seen."""
    stale = tmp_path / "stale.txt"
    stale.write_text(
        "# This file was autogenerated by uv via the following command:\n"
        "#    bash .ci/lock\n"
        "fastapi==0.1.0 \\\n"
        "    --hash=sha256:00\n"
        "    # via mailsetup (pyproject.toml)\n"
        "redis==8.0.0 ; python_full_version < '3.12' \\\n"
        "    # via\n"
        "    #   limits\n"
        "    #   mailsetup (pyproject.toml)\n",
        encoding="utf-8",
    )
    pins = read_lock(stale)
    fastapi = next(r for r in direct(()) if r.name == "fastapi")
    assert not fastapi.specifier.contains(pins["fastapi"][0].version)
    assert pins["redis"][0].hashes == 0
    assert pins["redis"][0].via == ["limits", FROM_PYPROJECT]
    assert pins["redis"][0].marker is not None
    assert not pins["redis"][0].marker.evaluate(environment("3.12"))


def _lines(path: Path) -> list[str]:
    return [
        line.split("#")[0].strip()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.split("#")[0].strip()
    ]
