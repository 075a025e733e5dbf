"""The web workspace's check and render workers under their limits (issue 22): a real server
(``serve --worker-memory-mb 1024 --worker-timeout 6``) whose workers run a ``sitecustomize`` hook
that makes the check (``pipeline.prepare``) or the render (``pipeline.render``) of a file of a
given name grow without end or never end. The upload (or download) that hits a limit gets a plain
message naming it; the other units' uploads, under way at the same time or after, are checked
normally. A batch job runs under the same limits. (``juesuan batch``'s limits: tests/test_batch.py.)
"""
from __future__ import annotations

import json
import re
import threading
import time

import pytest

from .conftest import EXAMPLES
from .test_web import Api, Server, cli, q

HOOK = '''
import time
from pathlib import Path
import generator.pipeline as pipeline
_prepare, _render = pipeline.prepare, pipeline.render
def _misbehave(path, stage):
    name = Path(path).name
    if name == f"{stage}-huge.yaml":     # grows until the memory limit stops it (never past 4 GB without one)
        blocks = [bytearray(64 << 20) for _ in range(64)]
    if name == f"{stage}-slow.yaml":     # never ends by itself
        time.sleep(3600)
def prepare(path, *args, **kwargs):
    _misbehave(path, "check")
    return _prepare(path, *args, **kwargs)
def render(path, *args, **kwargs):
    _misbehave(path, "render")
    return _render(path, *args, **kwargs)
pipeline.prepare, pipeline.render = prepare, render
'''
XIAOHE = "山西转型综合改革示范区晋中开发区潇河产业园事业服务中心"
XINCAILIAO = "山西转型综合改革示范区新材料产业招商服务中心"
PASSWORD = "long-enough-1"


@pytest.fixture(scope="module")
def limited(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    hook = tmp_path_factory.mktemp("hook")
    (hook / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    tokens = {}
    for name, role, units in (("甲", "unit", [XIAOHE]), ("乙", "unit", [XINCAILIAO]), ("管理员", "admin", [])):
        proc = cli("user", "add", name, "--role", role, *(a for u in units for a in ("--unit", u)), "--data", str(data),
                   "--password-stdin", stdin=PASSWORD + "\n")
        assert proc.returncode == 0, proc.stderr
        tokens[name] = cli("user", "token", name, "--data", str(data)).stdout.strip().splitlines()[-1]
    # 6 s: three times the longest render here (about 2 s; these tests run with no other test
    # process beside them: make test's serial part), so only what never ends is stopped
    server = Server(data, "--worker-memory-mb", "1024", "--worker-timeout", "6", pythonpath=(str(hook),))
    yield server, Api(server, tokens["甲"]), Api(server, tokens["乙"]), Api(server, tokens["管理员"])
    server.stop()


XIAOHE_YAML = (EXAMPLES / "xiaohe-2022.yaml").read_bytes()
XINCAILIAO_YAML = (EXAMPLES / "xincailiao-2023.yaml").read_bytes()


def test_an_upload_past_the_memory_limit_is_refused_and_the_next_is_checked(limited):
    server, jia, yi, admin = limited
    status, out = jia.upload(XIAOHE, "check-huge.yaml", XIAOHE_YAML)
    assert status == 422 and out["status"] == "unreadable", out
    [problem] = out["problems"]
    assert problem.startswith("check-huge.yaml：检查超出内存限制（1024 MB），已停止"), problem
    assert out["current"] is False                              # never the unit's current data
    status, out = jia.upload(XIAOHE, "xiaohe-2022.yaml", XIAOHE_YAML)       # the worker was replaced
    assert status == 200 and out["status"] == "checked" and out["errors"] == 0, out
    status, _, raw = jia.get(f"/api/units/{q(XIAOHE)}")
    versions = json.loads(raw)["versions"]
    assert [v["status"] for v in versions if v["file"] == "check-huge.yaml"] == ["unreadable"]


def test_an_upload_past_the_time_limit_is_stopped_while_other_units_are_checked(limited):
    server, jia, yi, admin = limited
    slow: dict = {}
    thread = threading.Thread(target=lambda: slow.update(zip(("status", "out"),
                                                              jia.upload(XIAOHE, "check-slow.yaml", XIAOHE_YAML))))
    thread.start()
    try:
        # the other check worker takes the other unit's uploads meanwhile
        for _ in range(2):
            status, out = yi.upload(XINCAILIAO, "xincailiao-2023.yaml", XINCAILIAO_YAML)
            assert status == 200 and out["status"] == "checked", out
        assert thread.is_alive()                    # the slow check has not ended (it never would by itself)
    finally:
        thread.join(timeout=300)
    assert slow["status"] == 422, slow
    [problem] = slow["out"]["problems"]
    assert problem.startswith("check-slow.yaml：检查超时（超过 6 秒），已停止"), problem
    for api, unit, name, data in ((jia, XIAOHE, "xiaohe-2022.yaml", XIAOHE_YAML),
                                  (yi, XINCAILIAO, "xincailiao-2023.yaml", XINCAILIAO_YAML)):
        status, out = api.upload(unit, name, data)
        assert status == 200 and out["status"] == "checked", out


@pytest.mark.parametrize("stage, message", [("huge", "生成超出内存限制（1024 MB），已停止"),
                                             ("slow", "生成超时（超过 6 秒），已停止")])
def test_a_render_past_a_limit_says_so_and_the_next_render_works(limited, stage, message):
    server, jia, yi, admin = limited
    status, out = yi.upload(XINCAILIAO, f"render-{stage}.yaml", XINCAILIAO_YAML)
    assert status == 200 and out["status"] == "checked", out
    status, _, raw = yi.get(f"/api/units/{q(XINCAILIAO)}/report.docx")
    assert status == 500 and message in json.loads(raw)["error"], raw
    status, out = yi.upload(XINCAILIAO, "xincailiao-2023.yaml", XINCAILIAO_YAML)
    assert status == 200, out
    status, headers, raw = yi.get(f"/api/units/{q(XINCAILIAO)}/report.docx")
    assert status == 200 and raw[:2] == b"PK", raw[:300]


def test_a_batch_job_reports_the_unit_past_the_limit_and_renders_the_others(limited):
    """The web's batch job runs generator.batch's workers under the server's limits."""
    server, jia, yi, admin = limited
    status, out = jia.upload(XIAOHE, "render-huge.yaml", XIAOHE_YAML)
    assert status == 200 and out["status"] == "checked", out
    status, out = yi.upload(XINCAILIAO, "xincailiao-2023.yaml", XINCAILIAO_YAML)
    assert status == 200, out
    status, _, raw = admin.post("/api/batch", {"units": [XIAOHE, XINCAILIAO]})
    assert status == 202, raw
    job = json.loads(raw)["id"]
    deadline = time.monotonic() + 600                     # a bound, not a measure
    while True:
        info = json.loads(admin.get(f"/api/batch/{job}")[2])
        if info["status"] != "running" or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert info["status"] == "done", info
    results = {r["unit"]: r for r in info["results"]}
    assert results[XIAOHE]["status"] == "超出限制" and results[XIAOHE]["outputs"] == []
    assert "超出内存限制（1024 MB）" in results[XIAOHE]["messages"][0]
    assert results[XINCAILIAO]["status"] == "已生成" and len(results[XINCAILIAO]["outputs"]) == 2
    status, out = jia.upload(XIAOHE, "xiaohe-2022.yaml", XIAOHE_YAML)
    assert status == 200, out


def test_serve_refuses_nonsense_limits(tmp_path):
    for option, value in (("--worker-memory-mb", "100"), ("--worker-timeout", "soon")):
        proc = cli("serve", "--data", str(tmp_path), option, value)
        assert proc.returncode == 2 and option in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert re.search(r"[\u4e00-\u9fff]", proc.stderr)
