"""Inside the web layer: the HTTP plumbing (app/web/http) never imports the routes
(app/web/routes); routes may import the plumbing."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

HTTP = Path(__file__).resolve().parents[2] / "app" / "web" / "http"


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.level:
                raise AssertionError(f"{path.name}: use absolute imports")
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", sorted(HTTP.glob("*.py")), ids=lambda p: p.name)
def test_http_never_imports_routes(path: Path) -> None:
    up = sorted(n for n in imported(path) if n.startswith("app.web.routes"))
    assert not up, f"app/web/http/{path.name} imports the routes: {up}"
