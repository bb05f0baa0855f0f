"""Errors that pipeline code raises; the CLI maps them to one line and an exit code."""

from __future__ import annotations

__all__ = [
    "WenmaiError",
    "ConfigError",
    "BadParams",
    "MissingInput",
    "SchemaError",
    "EmptyCorpus",
    "BadInputFile",
    "UnsafePath",
    "CorruptInput",
]


class WenmaiError(Exception):
    """Base class of every error wenmai reports to the user as one line."""


class ConfigError(WenmaiError):
    """wenmai.toml is unreadable, has an unknown key, or a value of the wrong kind."""


class BadParams(WenmaiError):
    """A parameter value is outside what the stage accepts."""


class MissingInput(WenmaiError):
    """An input table or file does not exist; the message names the command that makes it."""


class SchemaError(WenmaiError):
    """A table lacks required columns or has columns of the wrong type."""


class EmptyCorpus(WenmaiError):
    """Nothing usable is left to work on."""


class BadInputFile(WenmaiError):
    """A user-supplied file (dictionary, stopword list, labels) is malformed."""


class UnsafePath(WenmaiError):
    """A path read from a manifest, config or archive points outside the folder it belongs to,
    or a work folder is not one wenmai made."""


class CorruptInput(MissingInput):
    """An input table no longer matches the hash its producer's manifest recorded."""
