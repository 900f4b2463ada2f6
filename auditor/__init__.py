"""auditor: audit pemda server rooms against the national specification and plan migration."""

__version__ = "0.1.0"
