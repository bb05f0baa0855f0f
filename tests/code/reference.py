"""The in-memory REFI-QDA project export of the code stage before it was streamed (commit
adbde2d), kept to check that :class:`pipelines.code.project.ProjectWriter` writes the same bytes.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile

import pyarrow as pa

from pipelines.code.codebook import Codebook
from pipelines.code.refi import PROJECT_NS, ZIP_TIME, codes_xml, guid, source_name, xml_bytes
from pipelines.core.store import StoredTable, iter_batches, read_all


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
    user = guid("user", "wenmai")
    root = ET.Element(q("Project"), {"name": name, "origin": "wenmai",
                                     "creatingUserGUID": user})
    users = ET.SubElement(root, q("Users"))
    ET.SubElement(users, q("User"), {"guid": user, "name": "wenmai"})
    codes_xml(ET.SubElement(root, q("CodeBook")), book, ns)
    columns = [v for v in variables if v in documents.column_names]
    wanted = ["doc_id", *(c for c in ("title", "source") if c in documents.column_names)]
    docs = read_all(documents, list(dict.fromkeys([*wanted, *columns]))).to_pylist()
    if columns and docs:
        var_el = ET.SubElement(root, q("Variables"))
        kinds = {}
        for col in columns:
            kinds[col] = _variable_kind([d[col] for d in docs])
            ET.SubElement(var_el, q("Variable"), {"guid": guid("variable", col), "name": col,
                                                  "typeOfVariable": kinds[col]})
        cases = ET.SubElement(root, q("Cases"))
        for d in docs:
            case = ET.SubElement(cases, q("Case"), {"guid": guid("case", d["doc_id"]),
                                                    "name": source_name(d)})
            for col in columns:
                if d[col] is None:
                    continue
                vv = ET.SubElement(case, q("VariableValue"))
                ET.SubElement(vv, q("VariableRef"), {"targetGUID": guid("variable", col)})
                tag = "IntegerValue" if kinds[col] == "Integer" else "TextValue"
                ET.SubElement(vv, q(tag)).text = str(d[col])
            ET.SubElement(case, q("SourceRef"), {"targetGUID": guid("source", d["doc_id"])})
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
            src_guid = guid("source", d["doc_id"])
            src = ET.SubElement(sources, q("TextSource"), {
                "guid": src_guid, "name": source_name(d),
                "plainTextPath": f"internal://{src_guid}.txt"})
            files[f"sources/{src_guid}.txt"] = text.encode("utf-8")
            for (start, end), codes in sorted(by_doc.get(d["doc_id"], {}).items()):
                sel = ET.SubElement(src, q("PlainTextSelection"), {
                    "guid": guid("selection", d["doc_id"], start, end),
                    "name": text[start:end][:40],
                    "startPosition": str(start), "endPosition": str(end)})
                for code in dict.fromkeys(codes):
                    coding = ET.SubElement(sel, q("Coding"), {
                        "guid": guid("coding", d["doc_id"], start, end, code),
                        "creatingUser": user})
                    ET.SubElement(coding, q("CodeRef"), {"targetGUID": guid("code", code)})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in [("project.qde", xml_bytes(root)), *sorted(files.items())]:
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return buf.getvalue()
