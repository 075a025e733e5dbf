"""generator/write/weasy_import.py: WeasyPrint's libraries found from one reading of ldconfig."""
from __future__ import annotations

import ctypes.util
import subprocess
import sys

import pytest

from generator.write import weasy_import

cache = weasy_import.linker_cache()
needs_cache = pytest.mark.skipif(cache is None, reason="no glibc ldconfig here")


@needs_cache
@pytest.mark.parametrize("name", ["c", "m", "pango-1.0", "harfbuzz", "fontconfig", "gobject-2.0", "harfbuzz-subset"])
def test_answers_as_cpythons_ldconfig_lookup(name):
    assert weasy_import.finder(cache)(name) == ctypes.util._findSoname_ldconfig(name)
    assert weasy_import.finder(cache)(name) is not None


@needs_cache
def test_an_unknown_name_is_none():
    assert weasy_import.finder(cache)("libgobject-2.0-0") is None
    assert weasy_import.finder(cache)("no-such-library-juesuan") is None


def test_a_fresh_import_loads_the_same_libraries_and_restores_find_library():
    code = ("import ctypes.util; before = ctypes.util.find_library\n"
            "from generator.write import weasy_import\n"
            "weasyprint = weasy_import.imported()\n"
            "from weasyprint.text import ffi\n"
            "assert ctypes.util.find_library is before\n"
            "import os\n"
            "maps = open(f'/proc/{os.getpid()}/maps').read()\n"
            "print(sorted({l.split('/')[-1] for l in maps.splitlines() if any(k in l for k in "
            "('libpango', 'libharfbuzz', 'libfontconfig', 'libgobject'))}))\n")
    plain = ("import weasyprint, os\n"
             "maps = open(f'/proc/{os.getpid()}/maps').read()\n"
             "print(sorted({l.split('/')[-1] for l in maps.splitlines() if any(k in l for k in "
             "('libpango', 'libharfbuzz', 'libfontconfig', 'libgobject'))}))\n")
    quick = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    usual = subprocess.run([sys.executable, "-c", plain], capture_output=True, text=True, check=True).stdout
    assert quick == usual and "libpango" in quick
