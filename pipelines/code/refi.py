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

import uuid
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.code.codebook import Codebook
from pipelines.core.errors import BadInputFile
from pipelines.core.xmlsafe import clean_tree
from pipelines.core.zipread import MAX_INFLATE_RATIO, MemberError, read_member

__all__ = ["PROJECT_NS", "CODEBOOK_NS", "ZIP_TIME", "guid", "codes_xml", "xml_bytes",
           "source_name", "codebook_qdc", "Imported", "read_qdpx"]

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
_BASE = uuid.UUID("6f1c9a52-2f0e-4b7d-9a43-77d1c6a0e1b5")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def guid(*parts: object) -> str:
    return str(uuid.uuid5(_BASE, "\x1f".join(map(str, parts)))).upper()


def codes_xml(parent: ET.Element, book: Codebook, ns: str) -> None:
    codes = ET.SubElement(parent, f"{{{ns}}}Codes")
    for group in book.groups:
        g = ET.SubElement(codes, f"{{{ns}}}Code", {"guid": guid("code", group.name),
                                                   "name": group.name, "isCodable": "true"})
        if group.description:
            ET.SubElement(g, f"{{{ns}}}Description").text = group.description
        for cat_name in group.categories:
            cat = next(c for c in book.categories if c.name == cat_name)
            c_el = ET.SubElement(g, f"{{{ns}}}Code", {"guid": guid("code", cat.name),
                                                      "name": cat.name, "isCodable": "true"})
            if cat.description:
                ET.SubElement(c_el, f"{{{ns}}}Description").text = cat.description
            for code_name in cat.codes:
                code = book.code(code_name)
                k = ET.SubElement(c_el, f"{{{ns}}}Code", {"guid": guid("code", code.name),
                                                          "name": code.name,
                                                          "isCodable": "true"})
                if not code.rule_text:  # an imported code: its memo only
                    if code.description:
                        ET.SubElement(k, f"{{{ns}}}Description").text = code.description
                    continue
                memo = (code.description + "\n" if code.description else "")
                ET.SubElement(k, f"{{{ns}}}Description").text = memo + "wenmai rule: " + \
                    code.rule_text


def xml_bytes(root: ET.Element) -> bytes:
    clean_tree(root)  # what XML 1.0 forbids (a control character in a name) is dropped
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8",
                                                                     xml_declaration=False)


def codebook_qdc(book: Codebook) -> bytes:
    """The codebook as a REFI-QDA ``.qdc`` file."""
    ET.register_namespace("", CODEBOOK_NS)
    root = ET.Element(f"{{{CODEBOOK_NS}}}CodeBook", {"origin": "wenmai"})
    codes_xml(root, book, CODEBOOK_NS)
    return xml_bytes(root)


def source_name(doc: dict) -> str:
    title = (doc.get("title") or "").strip()
    return title or str(doc.get("source") or doc["doc_id"])


@dataclass
class Imported:
    """What a ``.qdpx`` project holds: codes, text sources, coded selections."""

    codes: dict[str, str] = field(default_factory=dict)  # guid -> name
    parents: dict[str, str | None] = field(default_factory=dict)  # guid -> parent guid
    sources: list[dict] = field(default_factory=list)  # guid, name, text
    selections: list[dict] = field(default_factory=list)  # source, start, end, code, user
    descriptions: dict[str, str] = field(default_factory=dict)  # code guid -> description
    users: dict[str, str] = field(default_factory=dict)  # user guid -> name


def read_qdpx(path: str | Path) -> Imported:
    """Read a REFI-QDA project archive.

    Raises:
        BadInputFile: not a zip archive with a ``project.qde``, or not QDA-XML.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.lower(): n for n in zf.namelist()}  # member names by lower case
            # sorted: the same answer on every run (a set's order depends on PYTHONHASHSEED)
            found = sorted(n for k, n in names.items() if k.endswith("project.qde"))
            if not found:
                raise BadInputFile(f"code: {path} has no project.qde; export a REFI-QDA "
                                   "project (.qdpx) from your QDA software")
            if len(found) > 1:
                raise BadInputFile(f"code: {path} holds {len(found)} project files ("
                                   f"{', '.join(found[:3])}); a .qdpx holds one project.qde")
            budget = [MAX_PROJECT_BYTES]
            root = ET.fromstring(_read_member(zf, found[0], path, budget=budget))
            return _parse_project(root, zf, names, path, budget)
    except FileNotFoundError:
        raise BadInputFile(f"code: REFI-QDA project {path} does not exist") from None
    except zipfile.BadZipFile:
        raise BadInputFile(f"code: {path} is not a .qdpx (zip) archive") from None
    except ET.ParseError as err:
        raise BadInputFile(f"code: {path}: project.qde is not valid XML ({err})") from None
    except ValueError as err:  # expat: "multi-byte encodings are not supported" (GBK, ...)
        raise BadInputFile(f"code: {path}: project.qde cannot be read ({err}); REFI-QDA "
                           "projects are UTF-8: export it again") from None


def _parse_project(root: ET.Element, zf: zipfile.ZipFile, names: dict[str, str], path: Path,
                   budget: list[int]) -> Imported:
    ns = root.tag[1:].split("}")[0] if root.tag.startswith("{") else ""
    q = (lambda tag: f"{{{ns}}}{tag}") if ns else (lambda tag: tag)
    if root.tag != q("Project"):
        raise BadInputFile(f"code: {path}: project.qde is not a QDA-XML Project")
    out = Imported()

    for user in root.iterfind(f"{q('Users')}/{q('User')}"):
        out.users[_guid(user.get("guid"))] = user.get("name") or user.get("id") or ""
    codes = root.find(f"{q('CodeBook')}/{q('Codes')}")
    # depth first in document order, by an explicit stack: a code tree thousands deep must not
    # exhaust Python's recursion
    stack: list[tuple[ET.Element, str | None]] = (
        [] if codes is None else [(c, None) for c in reversed(codes.findall(q("Code")))])
    while stack:
        code, parent = stack.pop()
        guid = code.get("guid", "").strip("{}").upper()
        out.codes[guid] = code.get("name", "")
        out.parents[guid] = parent
        memo = code.find(q("Description"))
        if memo is not None and memo.text:
            out.descriptions[guid] = memo.text
        stack.extend((c, guid) for c in reversed(code.findall(q("Code"))))
    sources = root.find(q("Sources"))
    for src in [] if sources is None else sources.findall(q("TextSource")):
        guid = src.get("guid", "").strip("{}").upper()
        text = _source_text(src, q, zf, names, path, budget)
        out.sources.append({"guid": guid, "name": src.get("name", ""), "text": text})
        for sel in src.findall(q("PlainTextSelection")):
            start, end = _positions(sel, src, path, len(text))
            for coding in sel.findall(q("Coding")):
                ref = coding.find(q("CodeRef"))
                target = (ref.get("targetGUID", "") if ref is not None else "").strip("{}")
                name = out.codes.get(target.upper())
                if name is not None:  # who coded it: the coding's user, else the selection's
                    user = _guid(coding.get("creatingUser") or sel.get("creatingUser"))
                    out.selections.append({"source": guid, "start": start, "end": end,
                                           "code": name, "code_guid": target.upper(),
                                           "user": user})
    return out


def _guid(value: str | None) -> str:
    """A GUID as the index keys it: without braces, upper case ("" for none)."""
    return (value or "").strip("{}").upper()


def _source_text(src: ET.Element, q, zf: zipfile.ZipFile, names: dict[str, str], path: Path,
                 budget: list[int]) -> str:
    content = src.find(q("PlainTextContent"))
    if content is not None and content.text is not None:
        return content.text
    ref = src.get("plainTextPath", "")
    if ref.startswith("internal://"):
        # REFI-QDA names the folder "sources"; NVivo for Windows writes "Sources"
        wanted = ("sources/" + ref[len("internal://"):]).lower()
        member = names.get(wanted)
        if member is not None:
            try:
                return _read_member(zf, member, path, budget=budget).decode("utf-8-sig")
            except UnicodeDecodeError:
                raise BadInputFile(f"code: {path}: text source {member} is not UTF-8 (REFI-QDA "
                                   "plain-text sources are UTF-8); export it again") from None
    raise BadInputFile(f"code: {path}: text source {src.get('name')!r} has no plain text "
                       f"({ref or 'no plainTextPath'}); export with the sources embedded")


#: The most a member of a .qdpx may inflate to (a project file or one text source).
MAX_MEMBER_BYTES = 200 * 10**6
#: The most all members of one .qdpx read together may inflate to.
MAX_PROJECT_BYTES = 500 * 10**6


def _read_member(zf: zipfile.ZipFile, name: str, path: Path,
                 limit: int = MAX_MEMBER_BYTES, max_ratio: float = MAX_INFLATE_RATIO,
                 budget: list[int] | None = None) -> bytes:
    """A member's bytes through :func:`pipelines.core.zipread.read_member` (streamed, never
    past ``limit``, what is left of ``budget`` (the project's total, decreased here), nor an
    inflate ratio above ``max_ratio``), or one clear error."""
    if budget is not None and budget[0] <= 0:
        raise BadInputFile(f"code: {path}: its members inflate past "
                           f"{MAX_PROJECT_BYTES / 1e6:g} MB in all; not read further")
    try:
        data = read_member(zf, zf.getinfo(name), min(limit, budget[0]) if budget else limit,
                           max_ratio=max_ratio)
        if budget is not None:
            budget[0] -= len(data)
        return data
    except MemberError as err:
        raise BadInputFile(f"code: {path}: {name} {err}" if err.reason == "too_large" else
                           f"code: {path}: {name} cannot be read from the archive ({err})"
                           ) from None


def _positions(sel: ET.Element, src: ET.Element, path: Path, length: int
               ) -> tuple[int, int]:
    """``startPosition`` and ``endPosition`` of a selection, or one clear error."""
    try:
        start, end = int(sel.get("startPosition", "")), int(sel.get("endPosition", ""))
    except ValueError:
        raise BadInputFile(
            f"code: {path}: a selection in source {src.get('name')!r} has no valid "
            "startPosition/endPosition; export the project again from your QDA software"
        ) from None
    if start < 0 or end < start or end > length:
        raise BadInputFile(f"code: {path}: a selection in source {src.get('name')!r} spans "
                           f"{start}..{end}; positions must satisfy 0 <= start <= end <= "
                           f"{length} (the text's length)")
    return start, end
