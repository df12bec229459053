"""mailsetup: mail account setup assistant."""

__version__ = "0.1.0"
