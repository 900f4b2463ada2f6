"""One catalogue of every bilingual message by key: ``message`` for results.json, ``say`` to render.

A key names its stage first (``report.``, ``review.``, ``assess.``, ``plan.``); each stage's
messages live in the module of that name beside this one, imported on the first look-up of one
of its keys, so a command loads only the prose it speaks (a scan loads none). Every message has
an ``id`` and an ``en`` text with the same ``{placeholders}``.

Values fill the placeholders as given (``{days:g}`` formats a float), except three kinds that each
language writes its own way: a ``{"id": ..., "en": ...}`` pair (its text in that language),
:class:`auditor.numbers.Num` (``2,5`` / ``2.5``) and :class:`auditor.numbers.Money`
(``Rp 1.500`` / ``IDR 1,500``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache

from auditor.numbers import Money, Num, number, rupiah

LANGUAGES = ("id", "en")
"""The report languages, Bahasa Indonesia first (the default)."""

Catalogue = Mapping[str, Mapping[str, str]]
"""Key → ``{"id": text, "en": text}``."""


class MessageError(LookupError):
    """A look-up the catalogue cannot answer: an unknown key, language or placeholder (a bug)."""


@cache
def _report() -> Catalogue:
    from auditor.messages.report import MESSAGES
    return MESSAGES


@cache
def _review() -> Catalogue:
    from auditor.messages.review import MESSAGES
    return MESSAGES


@cache
def _assess() -> Catalogue:
    from auditor.messages.assess import MESSAGES
    return MESSAGES


@cache
def _plan() -> Catalogue:
    from auditor.messages.plan import MESSAGES
    return MESSAGES


# Each part is imported on its first look-up (``cache`` keeps the import's answer at hand: a
# plan fills about ten messages per host).
STAGES: dict[str, Callable[[], Catalogue]] = {
    "report": _report, "review": _review, "assess": _assess, "plan": _plan}
"""Each key's first part → the catalogue part holding the keys that start with it."""


def _entry(key: str) -> Mapping[str, str]:
    stage = STAGES.get(key.partition(".")[0])
    entry = stage().get(key) if stage else None
    if entry is None:
        raise MessageError(f"no message '{key}' in the catalogue (auditor/messages/"
                           f"{key.partition('.')[0]}.py); add it there in both languages")
    return entry


PLAIN = frozenset({str, int, float, bool, type(None)})
"""Types written the same in both languages (a float as Python formats it, e.g. ``{x:g}``)."""


def _shown(value: object, lang: str) -> object:
    """A value that is neither plain nor a dict, as ``lang`` writes it."""
    if isinstance(value, Num):
        return number(value.value, lang, value.decimals)
    if isinstance(value, Money):
        return rupiah(value.value, lang)
    if isinstance(value, Mapping):
        return value[lang]
    return value


def _fill(key: str, template: str, values: Mapping[str, object]) -> str:
    if "{" not in template:
        return template
    try:
        return template.format(**values)
    except (KeyError, IndexError) as exc:
        raise MessageError(f"message '{key}' needs a value for {{{exc.args[0]}}}; "
                           f"given: {', '.join(sorted(values)) or 'none'}") from None


def _in(lang: str, values: dict[str, object]) -> dict[str, object]:
    """The values as ``lang`` writes them (pairs and plain values without a call)."""
    return {name: v if type(v) in PLAIN else v[lang] if type(v) is dict else _shown(v, lang)
            for name, v in values.items()}


def has(key: str) -> bool:
    """Whether the catalogue holds ``key`` (for keys made from data, such as a status)."""
    stage = STAGES.get(key.partition(".")[0])
    return stage is not None and key in stage()


def say(key: str, lang: str, **values: object) -> str:
    """The message ``key`` in ``lang`` with its placeholders filled; MessageError if it cannot."""
    entry = _entry(key)
    if lang not in entry:
        raise MessageError(f"language must be one of {', '.join(LANGUAGES)}, not '{lang}'")
    return _fill(key, entry[lang], _in(lang, values) if values else values)


def message(key: str, **values: object) -> dict[str, str]:
    """The message ``key`` in both languages, as results.json holds it: ``{"id": …, "en": …}``.

    Planning a large fleet fills about ten messages per host, so the common case (plain values
    only) takes the short way.
    """
    entry = _entry(key)
    for value in values.values():
        if type(value) not in PLAIN:
            return {lang: _fill(key, entry[lang], _in(lang, values)) for lang in LANGUAGES}
    return {lang: _fill(key, entry[lang], values) for lang in LANGUAGES}
