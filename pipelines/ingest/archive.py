"""Zip archives (and zip-based Office files) read one member at a time, never past a cap.

A zip's declared sizes can lie and a few hundred KB can inflate to gigabytes, so members are
decompressed as a stream in 1 MB chunks, counting bytes: a member past ``max_member`` bytes
or an archive past ``max_total`` decompressed bytes is refused as ``too_large`` with its
compression ratio, before more is read. Only one member's bytes are held at a time.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterator

from pipelines.ingest.decode import Rejected

__all__ = ["members", "check_members", "read_member"]

_CHUNK = 1 << 20


class _Budget:
    """Decompressed bytes left for the whole archive."""

    def __init__(self, total: float) -> None:
        self.left = total
        self.total = total


def _ratio(out: int, compressed: int) -> str:
    return f"{out / max(compressed, 1):,.0f}:1"


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
                max_member: float, budget: _Budget | None = None) -> bytes:
    """A member's bytes, streamed and capped.

    Raises:
        Rejected: ``too_large`` past a cap (with the ratio), ``encrypted``,
            ``unsupported_format`` (compression method), ``parse_error`` (bad CRC, corrupt
            deflate data, lying sizes).
    """
    buf = io.BytesIO()
    n = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                n += len(chunk)
                if n > max_member:
                    raise Rejected("too_large", f"{label} inflates past {max_member / 1e6:g} MB "
                                   f"from {info.compress_size:,} bytes (ratio over "
                                   f"{_ratio(n, info.compress_size)}): a decompression bomb or "
                                   "a file too big; raise max_file_mb to read it.")
                if budget is not None and n > budget.left:
                    raise Rejected("too_large", f"{label}: the archive inflates past "
                                   f"{budget.total / 1e6:g} MB in all (max_archive_mb); "
                                   "unpack it or raise max_archive_mb.")
                buf.write(chunk)
    except NotImplementedError as err:  # before RuntimeError, its base class
        raise Rejected("unsupported_format", f"{label} uses a compression method that is not "
                       f"supported ({err}); re-pack it as a plain zip.") from None
    except RuntimeError as err:  # zipfile: "File is encrypted, password required"
        raise Rejected("encrypted", f"{label} is encrypted ({err}); unpack it with its "
                       "password first.") from None
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
        raise Rejected("parse_error", f"{label} is corrupt in its archive ({err}).") from None
    if budget is not None:
        budget.left -= n
    return buf.getvalue()


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
                yield label, read_member(archive, info, label, max_member, budget)
            except Rejected as rej:
                yield label, rej


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
            n = 0
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(_CHUNK):
                        n += len(chunk)
                        if n > max_member or total + n > max_total:
                            raise Rejected(
                                "too_large", f"{name}: its part {info.filename} inflates past "
                                f"{min(max_member, max_total) / 1e6:g} MB from "
                                f"{info.compress_size:,} bytes (ratio over "
                                f"{_ratio(n, info.compress_size)}); a decompression bomb?")
            except NotImplementedError as err:
                raise Rejected("unsupported_format", f"{name}: {err}.") from None
            except RuntimeError as err:
                raise Rejected("encrypted", f"{name} is encrypted ({err}).") from None
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as err:
                raise Rejected("parse_error", f"{name} is corrupt ({info.filename}: {err})."
                               ) from None
            total += n
