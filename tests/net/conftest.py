"""The guarded HTTP client's tests use discovery's real web and DNS servers."""

from tests.discovery.conftest import ca, ca_file, client_context, portmap, site, web

__all__ = ["ca", "ca_file", "client_context", "portmap", "site", "web"]
