"""Fixture builders shared by the ingest tests (files are made in the test, not shipped)."""

from __future__ import annotations

from pathlib import Path

from pipelines import ingest
from pipelines.core import store


def run(*inputs: str | Path, **kwargs) -> dict:
    """Compute ingest on ``inputs`` in-process; return the tables as lists of dicts."""
    kwargs.setdefault("workers", 1)
    out = ingest.compute({}, ingest.Params(inputs=tuple(str(i) for i in inputs), **kwargs))
    return {name: store.read_all(table).to_pylist() for name, table in out.items()}


def write(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def make_pdf(path: Path, text: str, *, created: str | None = None,
             encrypt: bytes | None = None) -> Path:
    """A one-page PDF whose text layer is ``text`` (ASCII), with an optional creation date
    (``D:YYYYMMDDhhmmss``) in its info dictionary; objects and xref written by hand (PDF 1.4,
    ISO 32000-1 §7.5)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    info = f"<< /Title (Report) /CreationDate ({created}) >>" if created else "<< >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        info.encode(),
    ]
    if encrypt is not None:
        objects.append(encrypt)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R /Info 6 0 R" % (len(objects) + 1)
    if encrypt is not None:
        trailer += b" /Encrypt 7 0 R /ID [<00112233445566778899aabbccddeeff>"
        trailer += b" <00112233445566778899aabbccddeeff>]"
    out += b"trailer\n" + trailer + b" >>\nstartxref\n%d\n%%%%EOF\n" % xref
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path, paragraphs: list[str], *, title: str | None = None) -> Path:
    """A .docx made with python-docx (its template's core properties say created 2013)."""
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if title:
        document.core_properties.title = title
    document.save(str(path))
    return path
