"""Importing WeasyPrint without ~0.2 s of library look-ups (Linux).

To load Pango, HarfBuzz, fontconfig … WeasyPrint tries several names per library, Windows names
first ('libgobject-2.0-0', 'gobject-2.0-0', 'gobject-2.0', 'libgobject-2.0.so.0', …). cffi hands a
name without a path to ``ctypes.util.find_library``, which on Linux runs ``/sbin/ldconfig -p``
and, when that does not know the name, ``gcc`` and ``ld`` — some 40 programs started before the
first page is laid out (~0.2 s of a 3 s render on this machine).

``imported()`` imports WeasyPrint while ``find_library`` answers from one reading of
``ldconfig -p``, exactly as CPython's ``_findSoname_ldconfig`` would for each name; a name the
linker cache does not know gets None without gcc and ld. Every library still loads as before:
WeasyPrint also tries each library's file name ('libpango-1.0.so.0'), which cffi gives straight
to the dynamic loader (which searches LD_LIBRARY_PATH, the cache and the default folders itself).
``find_library`` is restored after the import; elsewhere (not glibc Linux, no ldconfig, WeasyPrint
already imported) WeasyPrint is imported as it is.
"""
from __future__ import annotations

import ctypes.util
import os
import re
import struct
import subprocess
import sys
from contextlib import contextmanager

LDCONFIG = "/sbin/ldconfig"
# CPython's ctypes.util._findSoname_ldconfig: the ABI tag of this machine's entries
_ABI = {"x86_64-64": "libc6,x86-64", "ppc64-64": "libc6,64bit", "sparc64-64": "libc6,64bit",
        "s390x-64": "libc6,64bit", "ia64-64": "libc6,IA-64"}


def linker_cache() -> bytes | None:
    """The output of ``ldconfig -p`` (as CPython reads it), or None where there is none."""
    if not sys.platform.startswith("linux") or not hasattr(ctypes.util, "_findSoname_ldconfig"):
        return None
    try:
        proc = subprocess.run([LDCONFIG, "-p"], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, env={"LC_ALL": "C", "LANG": "C"}, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return proc.stdout


def finder(cache: bytes):
    """find_library answering from ``cache`` as ``_findSoname_ldconfig`` does (None if unknown)."""
    machine = os.uname().machine + ("-32" if struct.calcsize("l") == 4 else "-64")
    abi = _ABI.get(machine, "libc6")

    def find_library(name: str) -> str | None:
        found = re.search(os.fsencode(r"\s+(lib%s\.[^\s]+)\s+\(%s" % (re.escape(name), abi)), cache)
        return os.fsdecode(found.group(1)) if found else None
    return find_library


@contextmanager
def _quick_find_library():
    cache = None if "weasyprint" in sys.modules else linker_cache()
    if cache is None:
        yield
        return
    original = ctypes.util.find_library
    ctypes.util.find_library = finder(cache)
    try:
        yield
    finally:
        ctypes.util.find_library = original


def imported():
    """The weasyprint package, imported (see above)."""
    with _quick_find_library():
        import weasyprint
        import weasyprint.text.ffi  # noqa: F401  (the libraries: loaded by `import weasyprint` today)
    return weasyprint
