"""Load and validate the word lists the segment stage uses: user dictionaries, stopwords, synonyms.

Every file must be UTF-8 (a byte-order mark is allowed). A malformed line raises
:class:`~pipelines.errors.BadInputFile` naming the file and the line, so a user can fix it
before any text is segmented.

File formats:

* user dictionary (jieba format): ``word [freq] [tag]`` per line, separated by whitespace;
  ``freq`` is a non-negative integer, ``tag`` a lower-case POS tag such as ``nz``. Lines
  starting with ``#`` and blank lines are skipped. An entry without a tag gets ``nz``.
* stopword list: one word per line; blank lines are skipped.
* synonym table: ``variant<TAB>canonical`` per line; ``#`` comments and blank lines skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipelines.errors import BadInputFile

__all__ = [
    "DEFAULT_USER_TAG",
    "DictEntry",
    "Synonym",
    "read_lines",
    "load_user_dict",
    "load_stopwords",
    "load_synonyms",
]

#: The tag given to a user-dictionary word listed without one (jieba itself would tag it
#: ``x``, the tag of punctuation, which a POS filter would then drop).
DEFAULT_USER_TAG = "nz"

_TAG = re.compile(r"[a-z]{1,4}")
_FREQ = re.compile(r"\d+")


@dataclass(frozen=True)
class DictEntry:
    """One user-dictionary word, with where it came from (for error messages)."""

    word: str
    freq: int | None
    tag: str
    source: str
    line: int


@dataclass(frozen=True)
class Synonym:
    """One ``variant -> canonical`` pair of a synonym table."""

    variant: str
    canonical: str
    source: str
    line: int


def read_lines(path: Path | str) -> list[str]:
    """Read a UTF-8 text file as a list of lines (without line ends).

    Args:
        path: The file to read.

    Returns:
        The lines, with a leading byte-order mark removed.

    Raises:
        BadInputFile: the file cannot be read or is not UTF-8.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise BadInputFile(f"cannot read {path}: {err.strerror}; check the path") from err
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise BadInputFile(
            f"{path}, line {line}: not UTF-8 text; save the file as UTF-8"
        ) from err
    return text.splitlines()


def load_user_dict(path: Path | str) -> list[DictEntry]:
    """Parse a jieba-format user dictionary.

    Args:
        path: The dictionary file.

    Returns:
        Its entries in file order.

    Raises:
        BadInputFile: a line has more than three fields, a non-integer frequency, or a tag
            that is not 1-4 lower-case letters; the message names the file and the line.
    """
    entries = []
    for number, raw in enumerate(read_lines(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        freq: int | None = None
        tag = DEFAULT_USER_TAG
        rest = fields[1:]
        if len(rest) > 2:
            raise BadInputFile(f"{path}, line {number}: {line!r} has {len(fields)} fields; "
                               "write `word [freq] [tag]` with no spaces inside the word")
        if rest and _FREQ.fullmatch(rest[0]):
            freq = int(rest.pop(0))
        if rest:
            if not _TAG.fullmatch(rest[0]) or len(rest) > 1:
                raise BadInputFile(f"{path}, line {number}: {line!r} is not `word [freq] [tag]` "
                                   "(freq a whole number, tag lower-case letters such as nz)")
            tag = rest[0]
        entries.append(DictEntry(fields[0], freq, tag, str(path), number))
    return entries


def load_stopwords(path: Path | str) -> list[str]:
    """Parse a stopword list (one word per line).

    Args:
        path: The list file.

    Returns:
        The words in file order.

    Raises:
        BadInputFile: a line holds several words (spaces or commas between them).
    """
    words = []
    for number, raw in enumerate(read_lines(path), 1):
        word = raw.strip()
        if not word:
            continue
        if len(word.split()) > 1 or (len(word) > 1 and re.search("[,，]", word)):
            raise BadInputFile(f"{path}, line {number}: {word[:40]!r} holds several words; "
                               "put one stopword per line")
        words.append(word)
    return words


def load_synonyms(path: Path | str) -> list[Synonym]:
    """Parse a synonym table of ``variant<TAB>canonical`` lines.

    Args:
        path: The table file.

    Returns:
        The pairs in file order.

    Raises:
        BadInputFile: a line does not have exactly two non-empty tab-separated fields.
    """
    pairs = []
    for number, raw in enumerate(read_lines(path), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split("\t")]
        if len(fields) != 2 or not all(fields):
            raise BadInputFile(f"{path}, line {number}: {line[:60]!r} is not "
                               "`variant<TAB>canonical`; separate the two words by one tab")
        pairs.append(Synonym(fields[0], fields[1], str(path), number))
    return pairs
