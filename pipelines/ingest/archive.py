"""Zip archives (and zip-based Office files) read one member at a time, never past a cap.

A zip's declared sizes can lie and a few hundred KB can inflate to gigabytes, so members are
decompressed as a stream in 1 MB chunks, counting bytes: a member past ``max_member`` bytes
or an archive past ``max_total`` decompressed bytes is refused as ``too_large`` with its
compression ratio, before more is read. Only one member's bytes are held at a time.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from pipelines.core.zipread import MemberError, iter_member, read_member
from pipelines.ingest.decode import Rejected

__all__ = ["members", "check_members"]

_HINT = {
    "encrypted": "unpack it with its password first",
    "unsupported_format": "re-pack it as a plain zip",
    "parse_error": "it is corrupt in its archive",
}


class _Budget:
    """Decompressed bytes left for the whole archive."""

    def __init__(self, total: float) -> None:
        self.left = total
        self.total = total


def _rejected(err: MemberError, label: str, max_member: float, budget: _Budget | None
              ) -> Rejected:
    """The ``rejected`` row of a member :mod:`pipelines.core.zipread` could not read."""
    if err.reason != "too_large":
        return Rejected(err.reason, f"{label}: {err} ({_HINT[err.reason]}).")
    if err.ratio_exceeded:
        return Rejected("too_large", f"{label} {err}: a decompression bomb; unpack it and "
                        "read the files if you trust it.")
    if budget is not None and err.inflated <= max_member:
        return Rejected("too_large", f"{label}: the archive inflates past "
                        f"{budget.total / 1e6:g} MB in all (max_archive_mb); unpack it or "
                        "raise max_archive_mb.")
    return Rejected("too_large", f"{label} {err}: a decompression bomb or a file too big; "
                    "raise max_file_mb to read it.")


def members(data: bytes, name: str, max_member: float, max_total: float
            ) -> Iterator[tuple[str, bytes | Rejected]]:
    """``(member name, bytes or Rejected)`` for each file member of a zip, in name order.

    Raises:
        Rejected: the file is not a readable zip archive.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise Rejected("parse_error", f"{name} is not a readable zip archive ({err}).") from None
    budget = _Budget(max_total)
    with archive:
        for info in sorted(archive.infolist(), key=lambda i: i.filename):
            label = f"{name}/{info.filename}"
            if info.is_dir():
                continue
            if budget.left <= 0:
                yield label, Rejected("too_large", f"{label} not read: the archive already "
                                      f"inflated past {max_total / 1e6:g} MB (max_archive_mb).")
                continue
            try:
                data = read_member(archive, info, min(max_member, budget.left))
            except MemberError as err:
                yield label, _rejected(err, label, max_member, budget)
                continue
            budget.left -= len(data)
            yield label, data


def check_members(data: bytes, name: str, max_member: float, max_total: float) -> None:
    """Stream every member of a zip-based file (.docx, .xlsx) through the caps, keeping none.

    Raises:
        Rejected: ``too_large`` (with the ratio) or the member's own fault, for the file.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise Rejected("parse_error", f"{name} is not a readable zip-based file ({err})."
                       ) from None
    total = 0
    with archive:
        for info in archive.infolist():
            try:  # each chunk is counted and dropped: nothing of the file is kept
                total += sum(map(len, iter_member(archive, info,
                                                  min(max_member, max_total - total))))
            except MemberError as err:
                raise _rejected(err, f"{name}: its part {info.filename}", max_member,
                                _Budget(max_total)) from None
