"""Batch jobs of the web workspace keep their own files (issue 22): a real server runs two jobs
over different units; the first job's report (HTML, CSV) and zip are still its own after the
second has run. Only the newest ``KEEP_JOBS`` jobs keep their files; an older job's page and
downloads say plainly that they were removed.
"""
from __future__ import annotations

import csv
import io
import json
import time
import zipfile

import pytest

from generator.web.batchjob import KEEP_JOBS, BatchRunner
from generator.web.store import Store

from .conftest import EXAMPLES
from .test_web import Api, Browser, Server, cli

XIAOHE = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"
XINCAILIAO = "山西转型综合改革示范区新材料产业招商服务中心"
PASSWORD = "long-enough-1"


def run_job(api: Api, units: list[str]) -> dict:
    status, _, raw = api.post("/api/batch", {"units": units})
    assert status == 202, raw
    job = json.loads(raw)["id"]
    deadline = time.monotonic() + 600            # a bound, not a measure
    while True:
        status, _, raw = api.get(f"/api/batch/{job}")
        info = json.loads(raw)
        if info["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert info["status"] == "done", info
    return info


def csv_units(raw: bytes) -> list[str]:
    return [row["单位名称"] for row in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))]


@pytest.fixture(scope="module")
def two_jobs(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    for name, role, more in (("管理员", "admin", []), ("填报", "unit", ["--unit", XIAOHE, "--unit", XINCAILIAO])):
        proc = cli("user", "add", name, "--role", role, *more, "--data", str(data), "--password-stdin",
                   stdin=PASSWORD + "\n")
        assert proc.returncode == 0, proc.stderr
    token = cli("user", "token", "管理员", "--data", str(data)).stdout.strip().splitlines()[-1]
    server = Server(data, "--jobs", "1")
    api = Api(server, token)
    for unit, example in ((XIAOHE, "xiaohe-2022.yaml"), (XINCAILIAO, "xincailiao-2023.yaml")):
        status, out = api.upload(unit, example, (EXAMPLES / example).read_bytes())
        assert status == 200, out
    first = run_job(api, [XIAOHE])
    second = run_job(api, [XINCAILIAO])
    yield data, server, api, first, second
    server.stop()


def test_each_job_serves_its_own_report_and_zip(two_jobs):
    data, server, api, first, second = two_jobs
    for info, unit, other in ((first, XIAOHE, XINCAILIAO), (second, XINCAILIAO, XIAOHE)):
        status, _, raw = api.get(f"/admin/jobs/{info['id']}/report.csv")
        assert status == 200 and csv_units(raw) == [unit], raw.decode("utf-8-sig")
        status, _, raw = api.get(f"/admin/jobs/{info['id']}/report.html")
        assert status == 200
        html = raw.decode("utf-8")
        assert unit in html and other not in html
        status, headers, raw = api.get(f"/admin/jobs/{info['id']}/reports.zip")
        assert status == 200 and headers["content-type"] == "application/zip"
        zf = zipfile.ZipFile(io.BytesIO(raw))
        names = zf.namelist()
        [pdf] = [n for n in names if n.endswith(".pdf")]
        assert pdf.startswith(unit) and not any(n.startswith(other) for n in names), names
        assert csv_units(zf.read("batch-report.csv")) == [unit]
        assert sorted(info["results"][0]["outputs"]) == sorted(n for n in names if not n.startswith("batch-report"))


def test_a_job_whose_files_were_removed_says_so(two_jobs):
    data, server, api, first, second = two_jobs
    runner = BatchRunner(Store(data))
    folder = runner.job_dir(first["id"])
    assert folder is not None and (folder / "batch-report.csv").is_file()
    for path in folder.iterdir():                 # as the pruning of old jobs does
        path.unlink()
    folder.rmdir()
    for what in ("report.csv", "report.html", "reports.zip"):
        status, _, raw = api.get(f"/admin/jobs/{first['id']}/{what}")
        assert status == 410 and "这次批量生成的报告和文件已删除" in raw.decode("utf-8"), raw
    b = Browser(server)
    status, _, page = b.login("管理员", PASSWORD)
    assert status == 303, page
    status, _, page = b.get(f"/admin?job={first['id']}")
    assert status == 200 and 'id="job-files-gone"' in page and "已删除" in page
    assert '<p id="job-downloads" hidden>' in page
    status, _, page = b.get(f"/admin?job={second['id']}")
    assert 'id="job-files-gone"' not in page and '<p id="job-downloads">' in page


def test_only_the_newest_jobs_keep_their_files(tmp_path):
    store = Store(tmp_path)
    account = store.add_account("管理员", "admin", None, [])
    runner = BatchRunner(store)
    runner.out_dir.mkdir(parents=True)
    (runner.out_dir / "batch-report.csv").write_text("序号\n", encoding="utf-8")
    ids = [f"{n:016x}" for n in range(KEEP_JOBS + 3)]
    for n, job_id in enumerate(ids):
        (runner.out_dir / "a.pdf").write_bytes(b"job %d" % n)
        store.add_job(job_id, "batch", account, ["甲"])
        runner._keep(job_id, ["a.pdf"])
        (runner.out_dir / "a.pdf").unlink()       # the next job writes a new file (os.replace does so)
    kept = sorted(p.name for p in runner.jobs_dir.iterdir())
    assert kept == ids[-KEEP_JOBS:]
    assert (runner.job_dir(ids[-1]) / "a.pdf").read_bytes() == b"job %d" % (len(ids) - 1)
    assert (runner.job_dir(ids[-KEEP_JOBS]) / "a.pdf").read_bytes() == b"job %d" % (len(ids) - KEEP_JOBS)
    assert runner.job_dir(ids[0]) is None and runner.job_dir("../etc") is None
