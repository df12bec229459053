"""The generators stay pure: no web layer, no settings, no discovery or probe code."""

from __future__ import annotations

import subprocess
import sys

MODULES = ("autodiscover", "mobileconfig", "signing", "instructions", "dns_records")
FORBIDDEN = ("app.web", "app.settings", "app.discovery", "app.probe", "fastapi", "httpx")


def test_generators_import_no_web_settings_or_network() -> None:
    imports = "; ".join(f"import app.documents.{m}" for m in MODULES)
    check = f"import sys; {imports}; print(' '.join(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", check], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = set(result.stdout.split())
    assert {m for m in FORBIDDEN if m in loaded} == set()
