"""One file to fix: its bytes as read, its text, and its libcst tree with positions on demand.

The bytes are kept so that a write can check that the file did not change in between, and
the encoding (a BOM, a PEP 263 cookie) so that the fixed text is written back the same way.
"""

from __future__ import annotations

import io
import itertools
import tokenize
from functools import cached_property
from pathlib import Path

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, ParentNodeProvider, PositionProvider

from deadweight.extract.file import decode
from deadweight.fix.edits import line_starts


class Source:
    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.data = data
        self.text = decode(data)  # raises ValueError for a file that cannot be decoded
        self.encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        starts = line_starts(self.text)
        self.lines = [self.text[a:b] for a, b in itertools.pairwise(starts)]

    @classmethod
    def read(cls, path: Path) -> Source:
        return cls(path, path.read_bytes())

    def encode(self, text: str) -> bytes:
        body = text.encode(self.encoding if self.encoding != "utf-8-sig" else "utf-8")
        return (b"\xef\xbb\xbf" + body) if self.data.startswith(b"\xef\xbb\xbf") else body

    def line(self, number: int) -> str:
        """Line `number` (1-based) without its line ending; "" past the end."""
        if not 1 <= number <= len(self.lines):
            return ""
        return self.lines[number - 1].rstrip("\r\n")

    @cached_property
    def _wrapper(self) -> MetadataWrapper:
        return MetadataWrapper(cst.parse_module(self.text), unsafe_skip_copy=True)

    @property
    def module(self) -> cst.Module:
        return self._wrapper.module

    @cached_property
    def positions(self) -> dict[cst.CSTNode, CodeRange]:
        return dict(self._wrapper.resolve(PositionProvider))

    @cached_property
    def parents(self) -> dict[cst.CSTNode, cst.CSTNode]:
        return dict(self._wrapper.resolve(ParentNodeProvider))
