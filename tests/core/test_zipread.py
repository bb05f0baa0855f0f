"""pipelines.core.zipread: members read as a bounded stream, failures as reason codes."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from pipelines.core.zipread import MemberError, iter_member, read_member


def _zip(members: dict[str, bytes]) -> zipfile.ZipFile:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return zipfile.ZipFile(io.BytesIO(buf.getvalue()))


def test_reads_within_the_limit_in_chunks() -> None:
    zf = _zip({"a.txt": b"x" * (3 * 2**20 + 5)})
    chunks = list(iter_member(zf, zf.getinfo("a.txt"), 10**7, max_ratio=0))
    assert [len(c) for c in chunks] == [2**20, 2**20, 2**20, 5]
    assert read_member(zf, zf.getinfo("a.txt"), 10**7, max_ratio=0) == b"x" * (3 * 2**20 + 5)


def test_stops_past_the_limit_with_the_ratio() -> None:
    zf = _zip({"bomb.txt": b"\0" * (5 * 2**20)})
    with pytest.raises(MemberError, match=r"inflates past 2 MB .*ratio over") as err:
        read_member(zf, zf.getinfo("bomb.txt"), 2 * 10**6, max_ratio=0)
    assert err.value.reason == "too_large" and err.value.inflated == 2 * 2**20


def test_a_member_inflating_past_100_to_1_is_refused_after_the_grace() -> None:
    import os

    zf = _zip({"bomb.txt": b"\0" * (5 * 2**20), "small.txt": b"\0" * 90_000,
               "real.txt": os.urandom(300_000).hex().encode()})  # hex: about 2:1
    with pytest.raises(MemberError, match=r"inflates more than 100:1 \(1,048,576 bytes from "
                       r"[\d,]+ and counting\)") as err:
        read_member(zf, zf.getinfo("bomb.txt"), 10**9)
    assert err.value.ratio_exceeded and err.value.inflated == 2**20  # one chunk, no more
    assert len(read_member(zf, zf.getinfo("small.txt"), 10**9)) == 90_000  # under 100 KiB
    assert len(read_member(zf, zf.getinfo("real.txt"), 10**9)) == 600_000
    assert len(read_member(zf, zf.getinfo("bomb.txt"), 10**9, max_ratio=10_000)) == 5 * 2**20


@pytest.mark.parametrize(("flag", "method", "reason"), [
    (0x1, zipfile.ZIP_DEFLATED, "encrypted"),
    (0x0, 99, "unsupported_format"),
])
def test_header_faults_are_named_before_opening(flag: int, method: int, reason: str) -> None:
    zf = _zip({"a.txt": b"text"})
    info = zf.getinfo("a.txt")
    info.flag_bits |= flag
    info.compress_type = method
    with pytest.raises(MemberError) as err:
        read_member(zf, info, 10**6)
    assert err.value.reason == reason


def test_a_bad_crc_is_a_parse_error() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("a.txt", b"hello world")
    data = bytearray(buf.getvalue())
    data[14:18] = struct.pack("<I", 0xDEADBEEF)  # the local header's CRC-32
    zf = zipfile.ZipFile(io.BytesIO(bytes(data)))
    info = zf.getinfo("a.txt")
    info.CRC = 0xDEADBEEF
    with pytest.raises(MemberError) as err:
        read_member(zf, info, 10**6)
    assert err.value.reason == "parse_error"
