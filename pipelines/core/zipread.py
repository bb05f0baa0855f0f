"""Members of zip archives (.zip, .docx, .xlsx, .qdpx) read as a bounded stream.

A zip's declared sizes can lie and a few hundred KB can inflate to gigabytes, so a member is
decompressed in 1 MB chunks while its bytes are counted, and refused as soon as it passes its
limit. What zipfile cannot read (an encrypted member, a compression method it lacks, patched
data) is recognised from the member's header before it is opened. Every failure is one
:class:`MemberError` with a reason code; the stage that reads the archive turns it into its own
error (ingest: a ``rejected`` row, code: ``BadInputFile``).
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterator

__all__ = ["CHUNK", "MemberError", "iter_member", "read_member", "ratio"]

CHUNK = 1 << 20
_ENCRYPTED = 0x1  # general-purpose flag bits of the zip format (APPNOTE 4.4.4)
_PATCHED = 0x20
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class MemberError(Exception):
    """A member that cannot be read whole.

    Attributes:
        reason: ``too_large``, ``encrypted``, ``unsupported_format`` or ``parse_error``.
        inflated: Bytes decompressed before the failure.
    """

    def __init__(self, reason: str, detail: str, inflated: int = 0) -> None:
        super().__init__(detail)
        self.reason = reason
        self.inflated = inflated


def ratio(out: int, compressed: int) -> str:
    """Compression ratio as ``"72:1"``."""
    return f"{out / max(compressed, 1):,.0f}:1"


def iter_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: float
                ) -> Iterator[bytes]:
    """The member's decompressed bytes in chunks of at most :data:`CHUNK`.

    Raises:
        MemberError: ``too_large`` once more than ``limit`` bytes came out; ``encrypted`` or
            ``unsupported_format`` from the header; ``parse_error`` for a bad CRC, corrupt
            deflate data or sizes that lie.
    """
    if info.flag_bits & _ENCRYPTED:
        raise MemberError("encrypted", "the member is encrypted")
    if info.compress_type not in _METHODS or info.flag_bits & _PATCHED:
        raise MemberError("unsupported_format",
                          f"compression method {info.compress_type} is not supported")
    n = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                n += len(chunk)
                if n > limit:
                    raise MemberError("too_large", f"inflates past {limit / 1e6:g} MB from "
                                      f"{info.compress_size:,} bytes (ratio over "
                                      f"{ratio(n, info.compress_size)})", n)
                yield chunk
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError) as err:
        raise MemberError("parse_error", str(err), n) from None


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: float) -> bytes:
    """The member's bytes, never more than ``limit`` (see :func:`iter_member`)."""
    return b"".join(iter_member(archive, info, limit))
