"""Compiled code kept between runs, so that a short command does not compile it again each time.

Two things are slow to compile and the same from run to run: the schemas' fast validators
(fastjsonschema generates half a megabyte of Python from ``load/unit.schema.json``: ~0.15 s; the
profile, layout and catalogue schemas are smaller, load/schema.py) and
the Jinja templates (the wording templates that ``check`` renders to look for repeated words,
and the HTML template: ~0.07 s). Their compiled code objects are kept in a cache folder:

- ``$JUESUAN_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/juesuan``, else ``~/.cache/juesuan``;
  ``JUESUAN_NO_CACHE=1`` turns the cache off (everything is compiled in memory, as before);
- an entry holds the key of what it was compiled from (the source's sha256, the compiler's
  version and this Python's bytecode magic; Jinja checks its own source checksum) and is used
  only when the key matches, so an edited schema or template is compiled afresh and the entry
  replaced — a cached entry never changes what the program does, only how soon;
- entries are written through ``atomic`` (a reader never sees half an entry); a folder
  that cannot be made or written, or that others can write to, is simply not used.
"""
from __future__ import annotations

import hashlib
import importlib.util
import marshal
import os
import stat
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import Callable, Iterable

MAGIC = importlib.util.MAGIC_NUMBER      # code objects load only in the Python that made them


@lru_cache(maxsize=1)
def directory() -> Path | None:
    """The cache folder, made if missing; None when the cache is off or the folder unusable."""
    if os.environ.get("JUESUAN_NO_CACHE"):
        return None
    configured = os.environ.get("JUESUAN_CACHE_DIR")
    if configured:
        folder = Path(configured)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "juesuan"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        st = folder.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None          # someone else could put code here
    return folder


def read(name: str) -> bytes | None:
    folder = directory()
    if folder is None:
        return None
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Keep ``data`` under ``name``; a failure to write only means no cache next time."""
    folder = directory()
    if folder is None:
        return
    from .atomic import write_bytes
    try:
        write_bytes(folder / name, data)
    except OSError:
        pass


def code(name: str, key_parts: Iterable[bytes | str], source: Callable[[], str], filename: str) -> CodeType:
    """The code object compiled from ``source()``, from the cache entry ``name`` when it was
    compiled from the same ``key_parts`` (everything ``source()`` depends on) by this Python."""
    h = hashlib.sha256(MAGIC)
    for part in key_parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    key = h.hexdigest().encode("ascii") + b"\n"
    data = read(name)
    if data is not None and data.startswith(key):
        try:
            loaded = marshal.loads(data[len(key):])
        except (ValueError, EOFError, TypeError):
            loaded = None
        if isinstance(loaded, CodeType):
            return loaded
    compiled = compile(source(), filename, "exec")
    write(name, key + marshal.dumps(compiled))
    return compiled


def jinja_bytecode_cache():
    """A Jinja bytecode cache in the cache folder (None when the cache is off)."""
    if directory() is None:
        return None
    import jinja2

    class BytecodeCache(jinja2.BytecodeCache):
        """One entry per template (Jinja's bucket key: name and file); Jinja itself discards an
        entry whose source checksum or bytecode magic differs, and the entry is rewritten."""

        def load_bytecode(self, bucket) -> None:
            data = read(f"jinja-{bucket.key}")
            if data is not None:
                try:
                    bucket.bytecode_from_string(data)
                except (ValueError, EOFError, TypeError):
                    bucket.reset()

        def dump_bytecode(self, bucket) -> None:
            write(f"jinja-{bucket.key}", bucket.bytecode_to_string())

    return BytecodeCache()
