"""The hardening tests' app factory, for the tests of the HTTP plumbing too."""

from tests.hardening.conftest import make_client

__all__ = ["make_client"]
