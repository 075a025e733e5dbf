"""An upload received without holding it in memory.

The request body is parsed as it arrives, by python-multipart's streaming ``MultipartParser`` (the
parser Starlette's own ``Request.form()`` uses, fed the same way): the bytes of the file field
``file`` go to a temporary file in the workspace (``<data>/tmp/``, the file system of the version
folders, so storing the upload is a rename), hashed (SHA-256) on the way; only the small text
fields (the CSRF token) are kept in memory, and the file's bytes at most ``WRITE_BLOCK`` at a time
(written, and hashed, in a thread of a small pool of its own: the event loop only parses).

The form is read as ``Request.form(max_files=1, max_fields=20)`` would read it: a part without a
name, a second file, a 21st text field or a body python-multipart cannot parse is a ``FormError``;
the file counts as received when its part ends; names and values are decoded with the
Content-Type's charset (UTF-8 unless it says otherwise; Latin-1 when that fails); when a name comes
twice the last one counts. The text fields together (names, values, part headers) may not exceed
``FIELDS_BYTES``. A body that is not ``multipart/form-data`` holds no file.

The caller owns the size limit of the whole body (``drop()`` once it is over: nothing more is
kept) and must call ``remove()`` on every path: it deletes the temporary file unless the store has
taken it (``path`` is then None). Temporary names carry the process id (``atomic``'s
pattern), so the server removes at start what a killed one left (``clean_stale_parts``).
"""
from __future__ import annotations

import asyncio
import codecs
import hashlib
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from python_multipart.exceptions import FormParserError         # python-multipart >= 0.0.22 (pyproject)
from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELD = "file"
MAX_FILES = 1
MAX_FIELDS = 20
FIELDS_BYTES = 256 * 1024              # the text fields and all part headers, together
WRITE_BLOCK = 256 * 1024               # the file's bytes gathered before one write

_writers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="upload-write")


class FormError(Exception):
    """The body is no form that can be read (the message is for the log, not for people)."""


def _decode(raw: bytes | bytearray, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return raw.decode("latin-1")


class Upload:
    """One request's upload: ``feed`` it the body's chunks, then ``finish``; ``filename`` (as
    sent; None when no file came), ``path``, ``size``, ``sha256`` and ``fields`` (the text fields)
    are then known."""

    def __init__(self, content_type: str | None, folder: Path):
        self.folder = Path(folder)
        self.filename: str | None = None
        self.path: Path | None = None
        self.size = 0
        self.sha256 = ""
        self.fields: dict[str, str] = {}
        self._error: str | None = None
        self._failed: OSError | None = None    # writing the file failed (disk full …): raised at the end
        self._dropped = False
        self._file = None               # the open temporary file while the file part comes
        self._hash = hashlib.sha256()
        self._pending = bytearray()
        self._writing: Future | None = None
        self._parser: MultipartParser | None = None
        kind, params = parse_options_header(content_type)
        if kind != b"multipart/form-data":
            return                      # no file in it (Request.form(): no form, or no file field)
        charset = params.get(b"charset", b"utf-8").decode("latin-1")
        try:
            self._charset = codecs.lookup(charset).name
        except LookupError:
            self._charset = "latin-1"
        if b"boundary" not in params:
            self._error = "Missing boundary in multipart."
            return
        self._files = self._fields = self._budget = 0
        self._part: dict = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        try:
            self._parser = MultipartParser(params[b"boundary"], {
                "on_part_begin": self._on_part_begin, "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end, "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value, "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished})
        except FormParserError as exc:
            self._error = str(exc)

    # ------------------------------------------------------------ the parser's callbacks

    def _spend(self, n: int) -> None:
        self._budget += n
        if self._budget > FIELDS_BYTES:
            raise FormError(f"the text fields and part headers exceed {FIELDS_BYTES} bytes")

    def _on_part_begin(self) -> None:
        self._part = {"disposition": None, "name": "", "kind": "field", "data": bytearray()}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._spend(end - start)
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._spend(end - start)
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        if bytes(self._header_name).lower() == b"content-disposition":
            self._part["disposition"] = bytes(self._header_value)
        self._header_name, self._header_value = bytearray(), bytearray()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._part["disposition"])
        if b"name" not in options:
            raise FormError('The Content-Disposition header field "name" must be provided.')
        name = self._part["name"] = _decode(options[b"name"], self._charset)
        if b"filename" in options:
            self._files += 1
            if self._files > MAX_FILES:
                raise FormError(f"Too many files. Maximum number of files is {MAX_FILES}.")
            if name == FILE_FIELD:      # the one file kept; another's bytes are not
                self._part["kind"] = "file"
                self._part["filename"] = _decode(options[b"filename"], self._charset)
                self._open()
            else:
                self._part["kind"] = "other file"
        else:
            self._fields += 1
            if self._fields > MAX_FIELDS:
                raise FormError(f"Too many fields. Maximum number of fields is {MAX_FIELDS}.")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        kind = self._part["kind"]
        if kind == "file":
            self._pending += data[start:end]
            self.size += end - start
        elif kind == "field":
            self._spend(end - start)
            self._part["data"] += data[start:end]

    def _on_part_end(self) -> None:
        kind, name = self._part["kind"], self._part["name"]
        if kind == "file":
            self.filename = self._part["filename"]
        elif kind == "field":
            self.fields[name] = _decode(self._part["data"], self._charset)
            if name == FILE_FIELD:      # a text field named file after the file: no file (as form() reads it)
                self.filename = None

    # ------------------------------------------------------------ the temporary file

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".upload.{os.getpid()}.", suffix=".bin.part", dir=self.folder)
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)   # mkstemp makes 0600; the stored upload is an ordinary file
        self.path = Path(tmp)
        self._file = os.fdopen(fd, "wb")

    def _write(self, block: bytearray) -> None:
        self._file.write(block)
        self._hash.update(block)

    async def _flush(self) -> None:
        if not self._pending:
            return
        block, self._pending = self._pending, bytearray()
        self._writing = _writers.submit(self._write, block)
        await asyncio.wrap_future(self._writing)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    # ------------------------------------------------------------ the caller's side

    async def feed(self, chunk: bytes) -> None:
        """The next chunk of the request's body."""
        if self._parser is None or self._error or self._dropped or self._failed:
            return
        try:
            self._parser.write(chunk)
            if len(self._pending) >= WRITE_BLOCK:
                await self._flush()
        except (FormParserError, FormError) as exc:
            self._error = str(exc)
            self._pending = bytearray()
            self.remove()
        except OSError as exc:          # disk full …: the body is still read to its end, finish() raises this
            self._failed = exc
            self._pending = bytearray()
            self.remove()

    def drop(self) -> None:
        """Over the size limit: the rest of the body is read by the caller and dropped."""
        self._dropped = True
        self._pending = bytearray()
        self.remove()

    async def finish(self) -> None:
        """The body has ended: the file written out and closed, or ``FormError``."""
        if self._error:
            raise FormError(self._error)
        if self._failed:
            raise self._failed
        if self.path is not None:
            await self._flush()
            self._close()
            self.sha256 = self._hash.hexdigest()

    def remove(self) -> None:
        """Delete the temporary file (again: nothing happens); when a write is still under way
        (the request was cancelled while waiting for it), as soon as it has ended."""
        if self._writing is not None and not self._writing.done():
            self._writing.add_done_callback(lambda _: self.remove())
            return
        self._close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)
            self.path = None
