"""Write the REFI-QDA ``.qdpx`` project a batch of documents at a time, to a file.

The archive holds ``project.qde`` (the project XML) and one ``sources/<guid>.txt`` per document.
While the documents are coded, each batch's ``<Case>`` and ``<TextSource>`` elements (with the
batch's coded selections) are serialised and appended to two spool files, and each text is
appended to a third; :meth:`ProjectWriter.finish` then writes the archive member by member:
the XML around the two spooled parts, then the texts in the order of their member names, each
read back from the spool. Memory holds one batch; the bytes are those of building the whole
project as one element tree (:func:`pipelines.code.refi.project_qdpx` of earlier versions):
each element is serialised by ElementTree with the indentation it has in the whole document.
"""

from __future__ import annotations

import shutil
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pipelines.code.codebook import Codebook
from pipelines.code.refi import PROJECT_NS, ZIP_TIME, codes_xml, guid, source_name, xml_bytes
from pipelines.core.xmlsafe import clean_tree

__all__ = ["ProjectWriter"]

_MARK = "\ue000{}\ue000"  # a private-use character: stands for a spooled part in the skeleton
_INDENT = "\n    "  # before each element inside <Cases> and <Sources>
_CLOSE = "\n  "  # before </Cases> and </Sources>
_COPY = 1 << 20


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ProjectWriter:
    """Build a ``.qdpx`` from batches of documents and their coded selections.

    Args:
        book: The codebook.
        name: Project name.
        variables: Document columns exported as case variables.
        folder: Where the spool files go (removed by :meth:`finish`).
    """

    def __init__(self, book: Codebook, *, name: str, variables: Sequence[str],
                 folder: Path) -> None:
        self.book = book
        self.name = name
        self.columns = list(variables)
        self.folder = Path(tempfile.mkdtemp(prefix="qdpx-", dir=folder))
        self.user = guid("user", "wenmai")
        self.users = {self.user: "wenmai"}  # guid -> name of every user a coding names
        # open across add() calls; finish() closes them (the spool folder goes with the run)
        self._cases = open(self.folder / "cases.xml", "w", encoding="utf-8",  # noqa: SIM115
                           newline="")
        self._sources = open(self.folder / "sources.xml", "w", encoding="utf-8",  # noqa: SIM115
                             newline="")
        self._texts = open(self.folder / "texts.bin", "wb")  # noqa: SIM115
        self._keys: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.n_docs = 0
        self._int = dict.fromkeys(self.columns, False)  # an int value seen
        self._other = dict.fromkeys(self.columns, False)  # another non-missing value seen

    def add(self, docs: Sequence[dict], texts: Sequence[str],
            spans: dict[str, list[tuple]]) -> None:
        """Add a batch of documents, in corpus order.

        Args:
            docs: Per document ``doc_id``, ``title``/``source`` (when the corpus has them) and
                the variable columns.
            texts: Their texts.
            spans: doc_id -> (start, end, code) or (start, end, code, coder) of its coded
                segments, in coding order; ``coder`` as the ``codings`` column has it (rules
                and no coder: wenmai's user).
        """
        keys, lengths = [], []
        for d, text in zip(docs, texts, strict=True):
            text = text or ""
            src_guid = guid("source", d["doc_id"])
            if self.columns:
                self._cases.write(_INDENT + self._case(d))
            self._sources.write(_INDENT + self._source(d, src_guid, text,
                                                      spans.get(d["doc_id"])))
            data = text.encode("utf-8")
            self._texts.write(data)
            keys.append(src_guid.encode("ascii"))
            lengths.append(len(data))
        self._keys.append(np.array(keys, dtype="S36"))
        self._lengths.append(np.array(lengths, dtype=np.int64))
        self.n_docs += len(docs)

    def _case(self, d: dict) -> str:
        case = ET.Element("Case", {"guid": guid("case", d["doc_id"]), "name": source_name(d)})
        for col in self.columns:
            value = d[col]
            if value is None:
                continue
            if _is_int(value):
                self._int[col] = True
            else:
                self._other[col] = True
            vv = ET.SubElement(case, "VariableValue")
            ET.SubElement(vv, "VariableRef", {"targetGUID": guid("variable", col)})
            # a column's values are all of one type, so this is its kind (see finish)
            ET.SubElement(vv, "IntegerValue" if _is_int(value) else "TextValue").text = str(value)
        ET.SubElement(case, "SourceRef", {"targetGUID": guid("source", d["doc_id"])})
        return _element(case)

    def _source(self, d: dict, src_guid: str, text: str,
                spans: list[tuple] | None) -> str:
        src = ET.Element("TextSource", {"guid": src_guid, "name": source_name(d),
                                        "plainTextPath": f"internal://{src_guid}.txt"})
        by_span: dict[tuple[int, int], list[tuple[str, str]]] = {}
        for start, end, code, *coder in spans or ():
            by_span.setdefault((start, end), []).append((code, coder[0] if coder else "rules"))
        for (start, end), codes in sorted(by_span.items()):
            sel = ET.SubElement(src, "PlainTextSelection", {
                "guid": guid("selection", d["doc_id"], start, end),
                "name": text[start:end][:40],
                "startPosition": str(start), "endPosition": str(end)})
            for code, coder in dict.fromkeys(codes):
                for user, name in self._users(coder):
                    key = (d["doc_id"], start, end, code) + ((name,) if user != self.user
                                                              else ())
                    coding = ET.SubElement(sel, "Coding", {"guid": guid("coding", *key),
                                                           "creatingUser": user})
                    ET.SubElement(coding, "CodeRef", {"targetGUID": guid("code", code)})
        return _element(src)

    def _users(self, coder: str) -> list[tuple[str, str]]:
        """(guid, name) of the users a ``coder`` value stands for: wenmai for the rules,
        "wenmai model" for the model, each person of ``human:A,B``."""
        if coder == "rules":
            return [(self.user, "wenmai")]
        names = ["wenmai model"] if coder == "model" else (
            coder.removeprefix("human:").split(",") if coder.startswith("human:") else [coder])
        out = [(guid("user", "human", n) if coder != "model" else guid("user", n), n)
               for n in names]
        self.users.update(out)
        return out

    def _skeleton(self) -> list[str]:
        """The project XML around the spooled parts: [before cases, between, after sources]
        (no cases part when there are no variables)."""
        ns = PROJECT_NS
        ET.register_namespace("", ns)
        q = lambda tag: f"{{{ns}}}{tag}"  # noqa: E731
        root = ET.Element(q("Project"), {"name": self.name, "origin": "wenmai",
                                         "creatingUserGUID": self.user})
        users = ET.SubElement(root, q("Users"))
        ET.SubElement(users, q("User"), {"guid": self.user, "name": "wenmai"})
        for user, name in sorted(self.users.items(), key=lambda u: u[1]):
            if user != self.user:
                ET.SubElement(users, q("User"), {"guid": user, "name": name})
        codes_xml(ET.SubElement(root, q("CodeBook")), self.book, ns)
        if self.columns and self.n_docs:
            var_el = ET.SubElement(root, q("Variables"))
            for col in self.columns:
                kind = "Integer" if self._int[col] and not self._other[col] else "Text"
                ET.SubElement(var_el, q("Variable"), {"guid": guid("variable", col),
                                                      "name": col, "typeOfVariable": kind})
            ET.SubElement(root, q("Cases")).text = _MARK.format("cases")
        if self.n_docs:
            ET.SubElement(root, q("Sources")).text = _MARK.format("sources")
        text = xml_bytes(root).decode("utf-8")
        pieces = []
        for part in ("cases", "sources"):
            if _MARK.format(part) in text:
                head, text = text.split(_MARK.format(part))
                pieces.append(head)
        return [*pieces, text]

    def finish(self, path: Path) -> Path:
        """Write the archive to ``path`` and remove the spool files."""
        try:
            for fh in (self._cases, self._sources, self._texts):
                fh.close()
            skeleton = [p.encode("utf-8") for p in self._skeleton()]
            parts: list[bytes | Path] = [skeleton[0]]
            spooled = ([self.folder / "cases.xml"] if len(skeleton) == 3 else []) + (
                [self.folder / "sources.xml"] if self.n_docs else [])
            for file, after in zip(spooled, skeleton[1:], strict=True):
                parts += [file, _CLOSE.encode("utf-8") + after]
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
                info = zipfile.ZipInfo("project.qde", date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                # the size known in advance, as writestr sets it (it decides on ZIP64)
                info.file_size = sum(p.stat().st_size if isinstance(p, Path) else len(p)
                                     for p in parts)
                with zf.open(info, "w") as out:
                    for p in parts:
                        if isinstance(p, Path):
                            with open(p, "rb") as fh:
                                shutil.copyfileobj(fh, out, _COPY)
                        else:
                            out.write(p)
                self._write_texts(zf)
            return path
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _write_texts(self, zf: zipfile.ZipFile) -> None:
        """The texts as ``sources/<guid>.txt`` members, in the order of their names."""
        if not self._keys:
            return
        keys = np.concatenate(self._keys)
        lengths = np.concatenate(self._lengths)
        offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        order = np.argsort(keys, kind="stable")
        # a doc_id given twice is one member, with the last text (as a dict of members had it)
        last = np.ones(len(order), dtype=bool)
        last[:-1] = keys[order[1:]] != keys[order[:-1]]
        with open(self.folder / "texts.bin", "rb") as fh:
            for i in order[last]:
                fh.seek(int(offsets[i]))
                info = zipfile.ZipInfo(f"sources/{keys[i].decode('ascii')}.txt",
                                       date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, fh.read(int(lengths[i])))


def _element(el: ET.Element) -> str:
    """One element inside <Cases>/<Sources> as ElementTree writes it in the whole project
    (indented for its depth, 2; the namespace is the document's default, so no prefix)."""
    clean_tree(el)  # what XML 1.0 forbids (a vertical tab in a title) is dropped
    ET.indent(el, space="  ", level=2)
    return ET.tostring(el, encoding="unicode")
