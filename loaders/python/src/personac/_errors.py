"""The error family of the personac loader: one base class, one subclass per kind."""

from __future__ import annotations

from typing import Any, Dict, Optional, Type

__all__ = [
    "PersonacError",
    "MissingVariable",
    "UnknownVariable",
    "TooLong",
    "UnknownPersona",
    "UnknownView",
    "UnknownStage",
    "UnknownChannel",
    "UnknownItem",
    "PinMismatch",
    "HashMismatch",
    "UnknownFormat",
    "ERROR_KINDS",
]


class PersonacError(Exception):
    """Every error the loader raises on purpose.

    ``kind`` is one of :data:`ERROR_KINDS` (the same strings in every personac
    loader); ``details`` holds the facts the message is made from (persona,
    view, variable, the valid names...).
    """

    kind: str = "personac_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message: str = message
        self.details: Dict[str, Any] = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, message={self.message!r})"


class MissingVariable(PersonacError):
    """A runtime variable the view uses has no value and no default."""

    kind = "missing_variable"


class UnknownVariable(PersonacError):
    """A value was given for a name that is not one of the persona's runtime variables."""

    kind = "unknown_variable"


class TooLong(PersonacError):
    """A value (or default) is longer than the variable's ``max_length`` code points."""

    kind = "too_long"


class UnknownPersona(PersonacError):
    """No concrete persona of that name in the build output."""

    kind = "unknown_persona"


class UnknownView(PersonacError):
    """A view other than ``summary`` and ``detail``."""

    kind = "unknown_view"


class UnknownStage(PersonacError):
    """A stage the persona's arc does not have."""

    kind = "unknown_stage"


class UnknownChannel(PersonacError):
    """A channel the persona does not have."""

    kind = "unknown_channel"


class UnknownItem(PersonacError):
    """An on-demand part, trait or skill the persona does not list."""

    kind = "unknown_item"


class PinMismatch(PersonacError):
    """``get("name@version[+fingerprint]")`` named a version or fingerprint the build does not hold."""

    kind = "pin_mismatch"


class HashMismatch(PersonacError):
    """A file's bytes, or a persona's fingerprint, do not match index.json (or a file is missing)."""

    kind = "hash_mismatch"


class UnknownFormat(PersonacError):
    """index.json, a segment file or a bundle has a ``format`` this loader does not read."""

    kind = "unknown_format"


ERROR_KINDS: Dict[str, Type[PersonacError]] = {
    cls.kind: cls
    for cls in (
        MissingVariable,
        UnknownVariable,
        TooLong,
        UnknownPersona,
        UnknownView,
        UnknownStage,
        UnknownChannel,
        UnknownItem,
        PinMismatch,
        HashMismatch,
        UnknownFormat,
    )
}


def listing(names: "Optional[list[str]]") -> str:
    """``a, b, c`` or ``none`` for messages that list the valid choices."""
    if not names:
        return "none"
    return ", ".join(names)
