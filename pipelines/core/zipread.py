"""Members of zip archives (.zip, .docx, .xlsx, .qdpx) read as a bounded stream.

A zip's declared sizes can lie and a few hundred KB can inflate to gigabytes, so a member is
decompressed in 1 MB chunks while its bytes are counted, and refused as soon as it passes its
limit. What zipfile cannot read (an encrypted member, a compression method it lacks, patched
data) is recognised from the member's header before it is opened. Every failure is one
:class:`MemberError` with a reason code; the stage that reads the archive turns it into its own
error (ingest: a ``rejected`` row, code: ``BadInputFile``).

A member that inflates more than :data:`MAX_INFLATE_RATIO` times its compressed size is
refused too, once past :data:`GRACE_BYTES`: no real document compresses 100:1, while a bomb
of repeated bytes does 1000:1 and more, each member staying under any per-file cap. These are
Apache POI's defaults for .docx/.xlsx (``ZipSecureFile``: minimum inflate ratio 0.01, no alert
below 100 KiB), applied here to every zip wenmai reads (.zip, .docx, .xlsx, .qdpx).
"""

from __future__ import annotations

import lzma
import zipfile
import zlib
from collections.abc import Iterator

__all__ = ["CHUNK", "MAX_INFLATE_RATIO", "GRACE_BYTES", "MemberError", "iter_member",
           "read_member", "ratio"]

CHUNK = 1 << 20
#: The most a member may inflate relative to its compressed size (Apache POI: 1 / 0.01).
MAX_INFLATE_RATIO = 100.0
#: Members that inflate to less than this are never refused for their ratio (Apache POI).
GRACE_BYTES = 100 * 1024
_ENCRYPTED = 0x1  # general-purpose flag bits of the zip format (APPNOTE 4.4.4)
_PATCHED = 0x20
_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class MemberError(Exception):
    """A member that cannot be read whole.

    Attributes:
        reason: ``too_large``, ``encrypted``, ``unsupported_format`` or ``parse_error``.
        inflated: Bytes decompressed before the failure.
    """

    def __init__(self, reason: str, detail: str, inflated: int = 0, *,
                 ratio_exceeded: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.inflated = inflated
        self.ratio_exceeded = ratio_exceeded


def ratio(out: int, compressed: int) -> str:
    """Compression ratio as ``"72:1"``."""
    return f"{out / max(compressed, 1):,.0f}:1"


def iter_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: float, *,
                max_ratio: float = MAX_INFLATE_RATIO) -> Iterator[bytes]:
    """The member's decompressed bytes in chunks of at most :data:`CHUNK`.

    Args:
        max_ratio: The largest inflate ratio accepted past :data:`GRACE_BYTES` (0: any).

    Raises:
        MemberError: ``too_large`` once more than ``limit`` bytes came out, or once the
            member inflates more than ``max_ratio`` times (``ratio_exceeded`` set); ``encrypted`` or
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
                if max_ratio and n > GRACE_BYTES and n > max_ratio * max(info.compress_size, 1):
                    raise MemberError("too_large", f"inflates more than {max_ratio:g}:1 "
                                      f"({n:,} bytes from {info.compress_size:,} and counting); "
                                      "no real document compresses that much", n,
                                      ratio_exceeded=True)
                if n > limit:
                    raise MemberError("too_large", f"inflates past {limit / 1e6:g} MB from "
                                      f"{info.compress_size:,} bytes (ratio over "
                                      f"{ratio(n, info.compress_size)})", n)
                yield chunk
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError, OSError, ValueError) as err:
        raise MemberError("parse_error", str(err), n) from None


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: float, *,
                max_ratio: float = MAX_INFLATE_RATIO) -> bytes:
    """The member's bytes, never more than ``limit`` (see :func:`iter_member`)."""
    return b"".join(iter_member(archive, info, limit, max_ratio=max_ratio))
