"""personac: load compiled personas (personac build output, artifact format 2) and fill their
runtime variables exactly as ``personac show --var`` does.

>>> from personac import Registry
>>> reg = Registry.load("build-output")
>>> maya = reg.get("maya@1.4.0")
>>> text = maya.build_system_prompt(user_name="John")
"""

from ._errors import (
    ERROR_KINDS,
    HashMismatch,
    MissingVariable,
    PersonacError,
    PinMismatch,
    TooLong,
    UnknownChannel,
    UnknownFormat,
    UnknownItem,
    UnknownPersona,
    UnknownStage,
    UnknownVariable,
    UnknownView,
)
from ._registry import FORMAT, Persona, Registry, RuntimeVar, fill_segments, fingerprint_of

__version__ = "0.2.0"

__all__ = [
    "FORMAT",
    "ERROR_KINDS",
    "Registry",
    "Persona",
    "RuntimeVar",
    "fingerprint_of",
    "fill_segments",
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
]
