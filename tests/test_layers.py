"""The tree as its imports draw it: no import runs up the layers, and no module grows
past 300 lines (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Lowest first. A module imports only from its own package or a lower layer; the base
# modules may import one another.
LAYERS: tuple[frozenset[str], ...] = tuple(
    frozenset(names.split())
    for names in (
        "__init__ models errors settings paths hostnames i18n translations metrics "
        "logging_setup ratelimit leases untrusted trace_outcome oauth_clients",
        "net",
        "providers",
        "documents probe",
        "discovery signin",
        "livetest",
        "web cli",
        "main",
        "__main__",
    )
)
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def part(module: str) -> str:
    """``app.net.guard`` → ``probe``; ``app`` → ``__init__``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        pieces = path.relative_to(APP.parent).with_suffix("").parts
        if pieces[-1] == "__init__":
            pieces = pieces[:-1]
        found.append((".".join(pieces), path))
    return found


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name for name in names if name == "app" or name.startswith("app.")}


def test_every_package_has_a_layer() -> None:
    unplaced = {part(module) for module, _path in modules()} - set(LEVEL)
    assert not unplaced, f"give these a layer in LAYERS: {sorted(unplaced)}"


@pytest.mark.parametrize(("module", "path"), modules(), ids=[m for m, _p in modules()])
def test_no_import_runs_up_the_layers(module: str, path: Path) -> None:
    mine = part(module) if module != "app" else "__init__"
    level = LEVEL[mine]
    upward = []
    for name in sorted(imports(path)):
        theirs = part(name)
        if theirs == mine:
            continue
        sideways = LEVEL[theirs] == level and level != 0
        if LEVEL[theirs] > level or sideways:
            upward.append(name)
    assert not upward, f"{module} ({mine}) imports from above or beside it: {upward}"


MAX_LINES = 300


def test_no_module_passes_300_lines() -> None:
    long = {
        module: lines
        for module, path in modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by what they do: {long}"


# Above the engines, the tester is reached through app.livetest and discovery through
# app.discovery.service: the web app, the CLI, main and the benchmarks import nothing else
# of theirs.
ENTRIES = {"probe": "app.livetest", "discovery": "app.discovery.service"}
CALLERS = ("web", "cli", "main", "__main__")
BENCHMARKS = APP.parent / "benchmarks"


def callers() -> list[tuple[str, Path]]:
    above = [(m, p) for m, p in modules() if part(m) in CALLERS]
    return above + [(f"benchmarks.{p.stem}", p) for p in sorted(BENCHMARKS.glob("*.py"))]


@pytest.mark.parametrize(("module", "path"), callers(), ids=[m for m, _p in callers()])
def test_the_tester_and_discovery_are_reached_through_their_entries(
    module: str, path: Path
) -> None:
    behind = sorted(
        name for name in imports(path) if part(name) in ENTRIES and name != ENTRIES[part(name)]
    )
    assert not behind, f"{module} goes behind the entry modules: {behind}"
