"""The migration plan's reasons, blockers and notes in Bahasa Indonesia and English: ``plan.*``."""
# ruff: noqa: E501 - a message catalogue reads best one message per line

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
}
