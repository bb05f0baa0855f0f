"""REFI-QDA exchange (QDA-XML 1.0, REFI-QDA 1.5): a ``.qdc`` codebook, a ``.qdpx`` project out,
and a ``.qdpx`` project in.

The project holds each document as an internal plain-text source (``sources/<guid>.txt``,
UTF-8), the codebook (group > category > code, the rule in each code's description), one
``PlainTextSelection`` per coded span with a ``Coding`` per code, and the documents' metadata as
variables of one case per document. Positions count Unicode code points from 0, the end
exclusive (a Python slice), as NVivo, ATLAS.ti and MAXQDA read them. GUIDs are derived from
names (uuid5) and no time stamps are written, so the same coding gives the same bytes.
"""

from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from pipelines.code.codebook import Codebook
from pipelines.core.errors import BadInputFile
from pipelines.core.store import StoredTable, iter_batches, read_all
from pipelines.core.zipread import MemberError, read_member

__all__ = ["PROJECT_NS", "CODEBOOK_NS", "codebook_qdc", "project_qdpx", "Imported",
           "read_qdpx"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_BASE = uuid.UUID("6f1c9a52-2f0e-4b7d-9a43-77d1c6a0e1b5")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _guid(*parts: object) -> str:
    return str(uuid.uuid5(_BASE, "\x1f".join(map(str, parts)))).upper()


def _codes_xml(parent: ET.Element, book: Codebook, ns: str) -> None:
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    for group in book.groups:
        g = ET.SubElement(codes, f"{{{ns}}}Code", {"guid": _guid("code", group.name),
                                                   "name": group.name, "isCodable": "true"})
        if group.description:
            ET.SubElement(g, f"{{{ns}}}Description").text = group.description
        for cat_name in group.categories:
            cat = next(c for c in book.categories if c.name == cat_name)
            c_el = ET.SubElement(g, f"{{{ns}}}Code", {"guid": _guid("code", cat.name),
                                                      "name": cat.name, "isCodable": "true"})
            if cat.description:
                ET.SubElement(c_el, f"{{{ns}}}Description").text = cat.description
            for code_name in cat.codes:
                code = book.code(code_name)
                k = ET.SubElement(c_el, f"{{{ns}}}Code", {"guid": _guid("code", code.name),
                                                          "name": code.name,
                                                          "isCodable": "true"})
                memo = (code.description + "\n" if code.description else "")
                ET.SubElement(k, f"{{{ns}}}Description").text = memo + "wenmai rule: " + \
                    code.rule_text


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                     xml_declaration=False)


def codebook_qdc(book: Codebook) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` file."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": "wenmai"})
    _codes_xml(root, book, CODEBOOK_NS)
    return _xml(root)


def _variable_kind(values: list) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "Integer"
    return "Text"


def project_qdpx(book: Codebook, documents: pa.Table | StoredTable, codings: pa.Table, *,
                 name: str = "wenmai coding", variables: tuple[str, ...] = ()) -> bytes:
    """The documents, codebook and coded selections as a REFI-QDA ``.qdpx`` archive.

    Args:
        book: The codebook.
        documents: ``ingest/documents`` (``doc_id``, ``title``, ``text`` and ``variables``),
            in memory or on disk; the texts are read a batch at a time.
        codings: The coded segments (``doc_id``, ``code``, ``start``, ``end``).
        name: Project name.
        variables: Document columns exported as case variables.
    """
    ns = PROJECT_NS
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
    user = _guid("user", "wenmai")
    root = ET.Element(q("Project"), {"name": name, "origin": "wenmai",
                                     "creatingUserGUID": user})
    users = ET.SubElement(root, q("Users"))
    ET.SubElement(users, q("User"), {"guid": user, "name": "wenmai"})
    _codes_xml(ET.SubElement(root, q("CodeBook")), book, ns)
    columns = [v for v in variables if v in documents.column_names]
    wanted = ["doc_id", *(c for c in ("title", "source") if c in documents.column_names)]
    docs = read_all(documents, list(dict.fromkeys([*wanted, *columns]))).to_pylist()
    if columns and docs:
        var_el = ET.SubElement(root, q("Variables"))
        kinds = {}
        for col in columns:
            kinds[col] = _variable_kind([d[col] for d in docs])
            ET.SubElement(var_el, q("Variable"), {"guid": _guid("variable", col), "name": col,
                                                  "typeOfVariable": kinds[col]})
        cases = ET.SubElement(root, q("Cases"))
        for d in docs:
            case = ET.SubElement(cases, q("Case"), {"guid": _guid("case", d["doc_id"]),
                                                    "name": _source_name(d)})
            for col in columns:
                if d[col] is None:
                    continue
                vv = ET.SubElement(case, q("VariableValue"))
                ET.SubElement(vv, q("VariableRef"), {"targetGUID": _guid("variable", col)})
                tag = "IntegerValue" if kinds[col] == "Integer" else "TextValue"
                ET.SubElement(vv, q(tag)).text = str(d[col])
            ET.SubElement(case, q("SourceRef"), {"targetGUID": _guid("source", d["doc_id"])})
    by_doc: dict[str, dict[tuple[int, int], list[str]]] = {}
    for row in codings.select(["doc_id", "code", "start", "end"]).to_pylist():
        spans = by_doc.setdefault(row["doc_id"], {})
        spans.setdefault((row["start"], row["end"]), []).append(row["code"])
    files: dict[str, bytes] = {}
    if docs:
        sources = ET.SubElement(root, q("Sources"))
        texts = (t for batch in iter_batches(documents, ["text"])  # a batch of texts at a time
                 for t in batch.column("text").to_pylist())
        for d, text in zip(docs, texts, strict=True):
            text = text or ""
            guid = _guid("source", d["doc_id"])
            src = ET.SubElement(sources, q("TextSource"), {
                "guid": guid, "name": _source_name(d),
                "plainTextPath": f"internal://{guid}.txt"})
            files[f"sources/{guid}.txt"] = text.encode("utf-8")
            for (start, end), codes in sorted(by_doc.get(d["doc_id"], {}).items()):
                sel = ET.SubElement(src, q("PlainTextSelection"), {
                    "guid": _guid("selection", d["doc_id"], start, end),
                    "name": text[start:end][:40],
                    "startPosition": str(start), "endPosition": str(end)})
                for code in dict.fromkeys(codes):
                    coding = ET.SubElement(sel, q("Coding"), {
                        "guid": _guid("coding", d["doc_id"], start, end, code),
                        "creatingUser": user})
                    ET.SubElement(coding, q("CodeRef"), {"targetGUID": _guid("code", code)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in [("project.qde", _xml(root)), *sorted(files.items())]:
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()


def _source_name(doc: dict) -> str:
    title = (doc.get("title") or "").strip()
    return title or str(doc.get("source") or doc["doc_id"])


@dataclass
class Imported:
    """What a ``.qdpx`` project holds: codes, text sources, coded selections."""

    codes: dict[str, str] = field(default_factory=dict)  # guid -> name
    parents: dict[str, str | None] = field(default_factory=dict)  # guid -> parent guid
    sources: list[dict] = field(default_factory=list)  # guid, name, text
    selections: list[dict] = field(default_factory=list)  # source, start, end, code


def read_qdpx(path: str | Path) -> Imported:
    """Read a REFI-QDA project archive.

    Raises:
        BadInputFile: not a zip archive with a ``project.qde``, or not QDA-XML.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            qde = next((n for n in names if n.lower().endswith("project.qde")), None)
            if qde is None:
                raise BadInputFile(f"code: {path} has no project.qde; export a REFI-QDA "
                                   "project (.qdpx) from your QDA software")
            root = ET.fromstring(_read_member(zf, qde, path))
            return _parse_project(root, zf, names, path)
    except FileNotFoundError:
        raise BadInputFile(f"code: reference coding {path} does not exist") from None
    except zipfile.BadZipFile:
        raise BadInputFile(f"code: {path} is not a .qdpx (zip) archive") from None
    except ET.ParseError as err:
        raise BadInputFile(f"code: {path}: project.qde is not valid XML ({err})") from None


def _parse_project(root: ET.Element, zf: zipfile.ZipFile, names: set[str], path: Path
                   ) -> Imported:
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    if root.tag != q("Project"):
        raise BadInputFile(f"code: {path}: project.qde is not a QDA-XML Project")
    out = Imported()

    def walk(el: ET.Element, parent: str | None) -> None:
        for code in el.findall(q("Code")):
            guid = code.get("guid", "").strip("{}").upper()
            out.codes[guid] = code.get("name", "")
            out.parents[guid] = parent
            walk(code, guid)

    codes = root.find(f"{q('CodeBook')}/{q('Codes')}")
    if codes is not None:
        walk(codes, None)
    sources = root.find(q("Sources"))
    for src in [] if sources is None else sources.findall(q("TextSource")):
        guid = src.get("guid", "").strip("{}").upper()
        text = _source_text(src, q, zf, names, path)
        out.sources.append({"guid": guid, "name": src.get("name", ""), "text": text})
        for sel in src.findall(q("PlainTextSelection")):
            start, end = _positions(sel, src, path)
            for coding in sel.findall(q("Coding")):
                ref = coding.find(q("CodeRef"))
                target = (ref.get("targetGUID", "") if ref is not None else "").strip("{}")
                name = out.codes.get(target.upper())
                if name is not None:
                    out.selections.append({"source": guid, "start": start, "end": end,
                                           "code": name})
    return out


def _source_text(src: ET.Element, q, zf: zipfile.ZipFile, names: set[str], path: Path) -> str:
    content = src.find(q("PlainTextContent"))
    if content is not None and content.text is not None:
        return content.text
    ref = src.get("plainTextPath", "")
    if ref.startswith("internal://"):
        member = "sources/" + ref[len("internal://"):]
        if member in names:
            try:
                return _read_member(zf, member, path).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise BadInputFile(f"code: {path}: text source {member} is not UTF-8 (REFI-QDA "
                                   "plain-text sources are UTF-8); export it again") from None
    raise BadInputFile(f"code: {path}: text source {src.get('name')!r} has no plain text "
                       f"({ref or 'no plainTextPath'}); export with the sources embedded")


#: The most a member of a .qdpx may inflate to (a project file or one text source).
MAX_MEMBER_BYTES = 200 * 10**6


def _read_member(zf: zipfile.ZipFile, name: str, path: Path,
                 limit: int = MAX_MEMBER_BYTES) -> bytes:
    """A member's bytes through :func:`pipelines.core.zipread.read_member` (streamed, never
    past ``limit``), or one clear error."""
    try:
        return read_member(zf, zf.getinfo(name), limit)
    except MemberError as err:
        raise BadInputFile(f"code: {path}: {name} {err}" if err.reason == "too_large" else
                           f"code: {path}: {name} cannot be read from the archive ({err})"
                           ) from None


def _positions(sel: ET.Element, src: ET.Element, path: Path) -> tuple[int, int]:
    """``startPosition`` and ``endPosition`` of a selection, or one clear error."""
    try:
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
    except ValueError:
        raise BadInputFile(
            f"code: {path}: a selection in source {src.get('name')!r} has no valid "
            "startPosition/endPosition; export the project again from your QDA software"
        ) from None
    if start < 0 or end < start:
        raise BadInputFile(f"code: {path}: a selection in source {src.get('name')!r} spans "
                           f"{start}..{end}; positions must satisfy 0 <= start <= end")
    return start, end
