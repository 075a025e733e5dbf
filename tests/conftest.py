from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

# Compiled code (generator/cache.py) goes to a folder of this test run, not the user's ~/.cache;
# the CLI subprocesses inherit it.
if not os.environ.get("JUESUAN_CACHE_DIR"):
    os.environ["JUESUAN_CACHE_DIR"] = tempfile.mkdtemp(prefix="juesuan-test-cache-")
    atexit.register(shutil.rmtree, os.environ["JUESUAN_CACHE_DIR"], True)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "data" / "examples"
SEEDS = ROOT.parent / "shared" / "seeds"
JUESUAN = ROOT / ".venv" / "bin" / "juesuan"


def seed_text(name: str) -> str:
    """A seed report's text with PDF line breaks removed (so phrases can be searched)."""
    return (SEEDS / name).read_text(encoding="utf-8").replace("\n", "")


def run_cli(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    exe = str(JUESUAN) if JUESUAN.exists() else shutil.which("juesuan")
    assert exe, "juesuan 命令不存在：先运行 make setup"
    return subprocess.run([exe, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)


RENDERED_KEYS = {"潇河": "xiaohe", "新材料": "xincailiao", "社会工作部": "shehuigongzuo", "规划和自然资源局": "guihuaziyuan",
                 "汇通": "huitong", "新能源汽车园": "xinnengyuan"}


@contextlib.contextmanager
def _shared(tmp_path_factory, name: str):
    """A folder every test process of this run shares (pytest-xdist starts two), held under a lock:
    the first process to get it makes what goes in, the others find it made. Yields the folder,
    whether it is made, and what to call once it is."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent                      # the run's folder above each worker's own
    folder = base / f"shared-{name}"
    folder.mkdir(exist_ok=True)
    with open(base / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            marker = base / f"shared-{name}.made"
            yield folder, marker.exists(), marker.touch
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def rendered(tmp_path_factory):
    """Every example rendered once through the CLI into one folder: {key: {fmt: Path}} (once per
    test run: the test processes share it)."""
    with _shared(tmp_path_factory, "rendered") as (out, made, done):
        if not made:
            proc = run_cli("render", *map(str, sorted(EXAMPLES.glob("*.yaml"))), "--format", "docx,pdf,html",
                           "--out", str(out))
            assert proc.returncode == 0, proc.stderr
            done()
    files: dict[str, dict[str, Path]] = {}
    for f in out.iterdir():
        key = next((k for word, k in RENDERED_KEYS.items() if word in f.name), f.name)
        files.setdefault(key, {})[f.suffix[1:]] = f
    return files


@pytest.fixture(scope="session")
def libreoffice_pdf(rendered, tmp_path_factory):
    """LibreOffice's PDF of an example's DOCX (headless conversion, once per example and test run):
    {key: Path}."""
    profile = tmp_path_factory.getbasetemp() / "libreoffice-profile"    # one per process: soffice locks it

    def convert(key: str) -> Path:
        with _shared(tmp_path_factory, f"libreoffice-{key}") as (out, made, done):
            pdf = out / rendered[key]["docx"].with_suffix(".pdf").name
            if not made:
                conv = subprocess.run(["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
                                       "--convert-to", "pdf", "--outdir", str(out), str(rendered[key]["docx"])],
                                      capture_output=True, text=True, timeout=300)
                assert conv.returncode == 0, conv.stderr
                assert pdf.exists(), conv.stdout + conv.stderr
                done()
        return pdf
    return convert


def user_profile(root: Path, name: str, text: str) -> Path:
    """A profile written into a user profile folder ``root`` (``--profiles root``, searched before
    templates/): tests that need a changed profile never write into templates/, which every other
    test process reads. Returns ``root``."""
    (root / "profiles").mkdir(parents=True, exist_ok=True)
    (root / "profiles" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return root


@contextlib.contextmanager
def profiles_from(root: Path):
    """In this process, profiles are also searched in ``root`` (as ``--profiles root`` does)."""
    from generator import search_path
    before = search_path.user_roots()
    search_path.set_user_roots([root])
    try:
        yield
    finally:
        search_path.set_user_roots(before)


def open_docx(*args, **kwargs):
    """A DOCX as python-docx reads it, with the word joiners (U+2060) of its text taken out: they
    are invisible and keep an amount with its unit on one line (generator/write/joiners.py), and
    the tests read the text a reader sees. tests/test_page_text.py checks the joiners are there."""
    import docx
    from docx.oxml.ns import qn
    document = docx.Document(*args, **kwargs)
    for t in document.element.body.iter(qn("w:t")):
        if t.text and "\u2060" in t.text:
            t.text = t.text.replace("\u2060", "")
    return document


# ---------------------------------------------------------------- make test-fast

# Fixtures that run the CLI, LibreOffice, a server or a browser (each in its own process).
SLOW_FIXTURES = {"rendered", "libreoffice_pdf", "server", "login_server", "site", "browser", "second_browser",
                 "workbooks", "twelve"}
# Modules whose every test runs worker processes or a server (batch, the web workspace, limits).
SLOW_MODULES = {"test_batch", "test_batch_jobs", "test_worker_limits", "test_web", "test_web_limits",
                "test_web_browser", "test_web_profiles"}
# What a test's own source calls that starts another process.
SLOW_CALLS = ("run_cli(", "subprocess", "Popen", "soffice", "pdftotext", "pdftoppm", "pdffonts", "pdfinfo",
              "pdftocairo", "multiprocessing", "ProcessPool", "WorkerPool")


def _starts_a_process(item) -> bool:
    if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or item.module.__name__.split(".")[-1] in SLOW_MODULES:
        return True
    import inspect
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return False
    return any(call in source for call in SLOW_CALLS)


# Modules whose tests hold the machine's limits (open files, connections, worker time and memory
# limits): beside the render-heavy tests their timings are not their own (a CI run saw a server at
# its open-files limit fail to accept while another test process rendered). make test runs them
# after the others, the two files side by side, one process each.
SERIAL_MODULES = {"test_web_limits", "test_worker_limits"}


def _writes_templates(item) -> bool:
    """Whether the test holds the machine's limits (SERIAL_MODULES). A test that writes a profile
    into templates/ (every other process reading the profiles would see it, or see it vanish) is
    refused: it writes a changed profile into a user folder instead (``user_profile``)."""
    import inspect
    if item.module.__name__.split(".")[-1] in SERIAL_MODULES:
        return True
    try:
        source = inspect.getsource(item.function)
    except (OSError, TypeError):
        return False
    if "PROFILES /" in source:
        raise pytest.UsageError(f"{item.nodeid} 写入 templates/：改用临时的用户版式文件夹（conftest.user_profile）")
    return False


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that starts another process: the CLI, LibreOffice, poppler, a
    server, a browser, a worker pool (``make test-fast`` runs the others: ``-m "not slow"``); mark
    ``serial`` a test that writes into templates/ or holds the machine's limits (``make test`` runs
    them alone, the rest in parallel with pytest-xdist)."""
    for item in items:
        if _starts_a_process(item):
            item.add_marker(pytest.mark.slow)
        if _writes_templates(item):
            item.add_marker(pytest.mark.serial)
    # the longest files first: pytest-xdist (--dist loadfile) hands out files in this order, and a
    # long file handed out last keeps one process busy while the other has nothing left to do
    first = {name: k for k, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: first.get(item.module.__name__.split(".")[-1], len(first)))


# The files that take longest (seconds of CPU in a full run; a stable sort keeps the rest in order).
LONGEST_FILES = ("test_web", "test_batch", "test_web_browser", "test_cluster", "test_excel", "test_cli_plain",
                 "test_pdf_import",
                 "test_page_text", "test_excel_typed", "test_money", "test_page_breaks", "test_bad_input_corpus")
