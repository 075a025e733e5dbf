"""make test's two runs (the README's test command, .ci/run): every test runs in one of them."""
from __future__ import annotations

import re
from pathlib import Path

from .conftest import ROOT


def test_make_test_runs_every_serial_file_in_its_second_run():
    """make test's second run collects only the files the Makefile names (SERIAL_TESTS); they must
    be the files whose tests conftest marks serial, or a serial test would run in neither run."""
    from .conftest import SERIAL_MODULES
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    named = re.search(r"^SERIAL_TESTS = (.+)$", makefile, re.M).group(1).split()
    assert sorted(Path(n).stem for n in named) == sorted(SERIAL_MODULES)
    assert all((ROOT / n).is_file() for n in named)
    assert re.search(r"-m serial \$\(SERIAL_TESTS\)", makefile) and '-m "not serial"' in makefile
