"""Batches on a Dask cluster (issue 28): a real scheduler and two workers (``dask scheduler`` /
``dask worker`` processes on 127.0.0.1, each worker under its nanny), the batch run by the CLI
as a user runs it. The cluster gives the same files (PDF text, DOCX text) and the same report as
the local pool, also when a worker is killed while rendering; a unit whose worker dies twice is
reported, the others rendered; a scheduler that cannot be reached or goes away mid-batch is said
plainly, and what finished is kept. The web workspace sends its batch jobs to the same cluster.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import distributed  # the cluster extra: make setup installs it (a missing one fails here)
import pytest

from .checkfix import BASES, replace
from .conftest import EXAMPLES, JUESUAN, ROOT, open_docx, run_cli
from .test_sangong_items import FOLDER, MEETING

pytestmark = pytest.mark.slow
DASK = ROOT / ".venv" / "bin" / "dask"
BOUND = 600                  # seconds: a bound on waiting, not a measure


# ---------------------------------------------------------------- the cluster

@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two workers (w1, w2: one thread each, under a nanny that restarts a killed
    worker), and a client of the test's own to watch and kill them."""
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    procs = [subprocess.Popen([str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], cwd=folder, start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=open(folder / "scheduler.log", "w"))]
    deadline = time.monotonic() + BOUND
    while not info.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    for name in ("w1", "w2"):
        procs.append(subprocess.Popen([str(DASK), "worker", "--scheduler-file", str(info), "--name", name,
                                       "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1",
                                       "--memory-limit", "0"], cwd=folder, start_new_session=True,
                                      stdout=subprocess.DEVNULL, stderr=open(folder / f"{name}.log", "w")))
    address = json.loads(info.read_text())["address"]
    client = distributed.Client(address, timeout=60)
    client.wait_for_workers(2, timeout=BOUND)
    yield address, client, procs
    client.close()
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()


def kill_while_executing(client, proc: subprocess.Popen, key: re.Pattern, times: int = 1,
                         name: str | None = None) -> list[str]:
    """Kill (SIGKILL) the worker process executing a task whose key matches ``key`` (on the worker
    named ``name``, if given) once the unit's attempt there is noted in the scheduler's metadata
    (it has started), ``times`` times, while ``proc`` runs. Returns the killed workers."""
    def executing(dask_worker) -> list[str]:     # defined here: sent by value (workers cannot import tests/)
        return [k for k, ts in dask_worker.state.tasks.items() if ts.state == "executing"]

    def started(task_key: str, addr: str) -> bool:
        _, batch, index, _ = task_key.split("-")
        return addr in client.get_metadata(["juesuan-batch", batch, index], default=[])

    killed: list[str] = []
    deadline = time.monotonic() + BOUND
    while proc.poll() is None and len(killed) < times and time.monotonic() < deadline:
        try:
            running = client.run(executing, on_error="ignore")
            names = {a: w["name"] for a, w in client.scheduler_info()["workers"].items()}
            for addr, keys in running.items():
                mine = [k for k in keys if key.match(k)]
                if addr not in killed and mine and name in (None, names.get(addr)) and started(mine[0], addr):
                    pid = client.run(os.getpid, workers=[addr])[addr]
                    os.kill(pid, signal.SIGKILL)
                    killed.append(addr)
                    break
        except (OSError, TimeoutError, KeyError):
            pass
        time.sleep(0.05)
    return killed


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([str(JUESUAN), *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


# ---------------------------------------------------------------- units and what a batch wrote

def write_units(folder: Path) -> None:
    """The examples; a unit of a user's profile folder (--profiles) that names its 上年数据文件 through
    a symbolic link to a hidden folder (read, not a unit of the batch: the worker must get the file,
    not re-resolve the name on its own disk); one that fails its checks."""
    folder.mkdir(parents=True)
    for p in EXAMPLES.glob("*.yaml"):
        (folder / p.name).write_bytes(p.read_bytes())
    text = BASES["xincailiao"].read_text(encoding="utf-8")
    for old, new in MEETING:
        text = replace(text, old, new, 1)
    text = replace(text, "单位名称: 山西转型综合改革示范区新材料产业招商服务中心", "单位名称: 测试三公另列中心", 1)
    text = re.sub(r"^上年:\n(?:[ #].*\n|\n)*", "上年数据文件: last-year/prev-2022.yaml\n", text, count=1, flags=re.M)
    (folder / "sub").mkdir()
    (folder / "sub" / "last-year").symlink_to(Path("..") / ".prev", target_is_directory=True)
    (folder / "sub" / "sangong-2023.yaml").write_text(text, encoding="utf-8")
    prev = BASES["xiaohe"].read_text(encoding="utf-8")
    (folder / ".prev").mkdir()
    (folder / ".prev" / "prev-2022.yaml").write_text(
        replace(prev, "单位名称: 山西转型综合改革示范区晋中开发区潇河产业园事业服务中心", "单位名称: 测试上年单位", 1),
        encoding="utf-8")
    broken = BASES["xincailiao"].read_text(encoding="utf-8")
    (folder / "sub" / "check.yaml").write_text(
        replace(replace(broken, "本年收入合计: 5987.71", "本年收入合计: 5990.71", 1),
                "单位名称: 山西转型综合改革示范区新材料产业招商服务中心", "单位名称: 测试合计不符中心", 1), encoding="utf-8")


def report(out: Path) -> list[dict]:
    """The CSV report's rows without the time column (it varies from run to run)."""
    raw = (out / "batch-report.csv").read_bytes().decode("utf-8-sig")
    return [{k: v for k, v in row.items() if k != "用时（秒）"} for row in csv.DictReader(raw.splitlines(keepends=True))]


def texts(out: Path) -> dict[str, str]:
    """Each output file's text as a reader gets it (pdftotext, python-docx)."""
    got = {}
    for p in sorted(out.iterdir()):
        if p.suffix == ".pdf":
            got[p.name] = subprocess.run(["pdftotext", "-layout", str(p), "-"], capture_output=True, text=True,
                                         check=True).stdout
        elif p.suffix == ".docx":
            doc = open_docx(str(p))
            got[p.name] = "\n".join([x.text for x in doc.paragraphs] +
                                    [c.text for t in doc.tables for r in t.rows for c in r.cells])
    return got


# ---------------------------------------------------------------- the tests

def test_a_cluster_batch_gives_the_pools_files_and_report_with_a_worker_killed_mid_unit(dask_cluster, tmp_path):
    address, client, _ = dask_cluster
    client.wait_for_workers(2, timeout=BOUND)
    units = tmp_path / "units"
    write_units(units)
    pool = run_cli("batch", str(units), "--out", str(tmp_path / "pool"), "--jobs", "2", "--profiles", str(FOLDER))
    assert pool.returncode == 1, pool.stderr           # the unit that fails its checks
    proc = start("batch", units, "--out", tmp_path / "cluster", "--cluster", address, "--profiles", FOLDER)
    killed = kill_while_executing(client, proc, re.compile(r"juesuan-"), name="w1")
    out, err = proc.communicate(timeout=BOUND)
    assert killed, f"w1 was never seen rendering a unit: {err}"
    assert proc.returncode == pool.returncode, err
    assert "在 Dask 集群" in err
    rows = report(tmp_path / "pool")
    assert [r["状态"] for r in rows].count("已生成") == 7 and report(tmp_path / "cluster") == rows
    assert "上年数据文件" not in "".join(r["问题"] for r in rows)
    pool_texts, cluster_texts = texts(tmp_path / "pool"), texts(tmp_path / "cluster")
    assert len(pool_texts) == 14 and cluster_texts.keys() == pool_texts.keys()
    for name, text in pool_texts.items():
        assert cluster_texts[name] == text, name
    # the user's profile and the 上年数据文件 reached the workers: the unit rendered, its text the pool's
    assert "会议费" in pool_texts["测试三公另列中心2023年度部门决算公开.pdf"]
    # run again: what is unchanged is skipped (the bookkeeping is this machine's); the unit that
    # failed its checks is checked again on the cluster
    again = run_cli("batch", str(units), "--out", str(tmp_path / "cluster"), "--cluster", address,
                    "--profiles", str(FOLDER))
    assert again.returncode == 1 and "已跳过（未变化） 7 个" in again.stdout, again.stdout + again.stderr


def test_a_unit_whose_worker_dies_twice_is_reported_and_the_others_rendered(dask_cluster, tmp_path):
    address, client, _ = dask_cluster
    client.wait_for_workers(2, timeout=BOUND)
    units = tmp_path / "units"
    units.mkdir()
    (units / "0-xiaohe.yaml").write_bytes((EXAMPLES / "xiaohe-2022.yaml").read_bytes())       # index 0
    for name in ("putuo-guihuaziyuan-2024.yaml", "putuo-shehuigongzuo-2024.yaml"):
        (units / name).write_bytes((EXAMPLES / name).read_bytes())
    proc = start("batch", units, "--out", tmp_path / "out", "--cluster", address, "--format", "docx")
    killed = kill_while_executing(client, proc, re.compile(r"juesuan-[0-9a-f]+-0-"), times=2)
    out, err = proc.communicate(timeout=BOUND)
    assert len(killed) == 2, err
    assert proc.returncode == 2, out + err
    rows = {r["数据文件"]: r for r in report(tmp_path / "out")}
    assert rows["0-xiaohe.yaml"]["状态"] == "程序出错"
    assert "退出了 2 次" in rows["0-xiaohe.yaml"]["问题"] and all(a in rows["0-xiaohe.yaml"]["问题"] for a in killed)
    assert [rows[n]["状态"] for n in ("putuo-guihuaziyuan-2024.yaml", "putuo-shehuigongzuo-2024.yaml")] == ["已生成"] * 2
    assert sorted(p.suffix for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")) == [
        ".csv", ".docx", ".docx", ".html"]


def test_a_scheduler_that_cannot_be_reached_is_said_at_once(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    (units / "a.yaml").write_bytes((EXAMPLES / "putuo-shehuigongzuo-2024.yaml").read_bytes())
    with socket.socket() as s:              # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli("batch", str(units), "--out", str(tmp_path / "out"), "--cluster", f"tcp://127.0.0.1:{port}")
    assert proc.returncode == 2 and "无法连接 Dask 调度器" in proc.stderr and "没有程序在监听" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not list((tmp_path / "out").glob("*.pdf"))
    # something else answers there: its bytes make no Dask message
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def answer():
        for _ in range(4):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"\xff" * 64 + b"HTTP/1.0 200 OK\r\n\r\n")
    threading.Thread(target=answer, daemon=True).start()
    proc = run_cli("batch", str(units), "--out", str(tmp_path / "out"), "--cluster", f"tcp://127.0.0.1:{port}")
    server.close()
    assert proc.returncode == 2 and "无法连接 Dask 调度器" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    proc = run_cli("batch", str(units), "--out", str(tmp_path / "out"), "--cluster", "http://example.org/")
    assert proc.returncode == 2 and "应为 Dask 调度器的地址" in proc.stderr, proc.stderr


def test_cluster_local_starts_a_cluster_on_this_machine(tmp_path):
    units = tmp_path / "units"
    units.mkdir()
    (units / "a.yaml").write_bytes((EXAMPLES / "putuo-shehuigongzuo-2024.yaml").read_bytes())
    proc = run_cli("batch", str(units), "--out", str(tmp_path / "out"), "--cluster", "local", "--jobs", "1",
                   "--format", "docx")
    assert proc.returncode == 0, proc.stderr
    assert "在 Dask 集群 local 上，1 个线程并行" in proc.stderr
    [docx] = (tmp_path / "out").glob("*.docx")
    assert "部门决算" in texts(tmp_path / "out")[docx.name]
    html = (tmp_path / "out" / "batch-report.html").read_text(encoding="utf-8")
    assert "在 Dask 集群 local 上 1 个线程并行" in html


def test_the_web_workspace_sends_its_batch_jobs_to_the_cluster(dask_cluster, tmp_path):
    from .test_batch_jobs import PASSWORD, run_job
    from .test_web import Api, Server, cli
    address, client, _ = dask_cluster
    client.wait_for_workers(1, timeout=BOUND)
    unit = "中共上海市普陀区委社会工作部"
    for name, role, more in (("管理员", "admin", []), ("填报", "unit", ["--unit", unit])):
        proc = cli("user", "add", name, "--role", role, *more, "--data", str(tmp_path), "--password-stdin",
                   stdin=PASSWORD + "\n")
        assert proc.returncode == 0, proc.stderr
    token = cli("user", "token", "管理员", "--data", str(tmp_path)).stdout.strip().splitlines()[-1]
    server = Server(tmp_path, "--cluster", address)
    try:
        api = Api(server, token)
        status, got = api.upload(unit, "putuo-shehuigongzuo-2024.yaml",
                                 (EXAMPLES / "putuo-shehuigongzuo-2024.yaml").read_bytes())
        assert status == 200, got
        info = run_job(api, [unit])
        assert [r["status"] for r in info["results"]] == ["已生成"], info
        status, _, raw = api.get(f"/admin/jobs/{info['id']}/report.html")
        assert status == 200 and f"在 Dask 集群 {address} 上" in raw.decode("utf-8")
        assert any(f"Dask 集群 {address}" in line for line in server.lines)
    finally:
        server.stop()
    proc = cli("serve", "--data", str(tmp_path / "other"), "--cluster", "nonsense")
    assert proc.returncode == 2 and "应为 Dask 调度器的地址" in proc.stderr, proc.stderr


def test_a_scheduler_gone_mid_batch_is_said_and_what_finished_is_kept(dask_cluster, tmp_path):
    """Last in this file: it kills the module's scheduler."""
    address, client, procs = dask_cluster
    client.wait_for_workers(2, timeout=BOUND)
    units = tmp_path / "units"
    units.mkdir()
    for p in sorted(EXAMPLES.glob("*.yaml"))[::2]:      # one of each kind of document
        (units / p.name).write_bytes(p.read_bytes())
    proc = start("batch", units, "--out", tmp_path / "out", "--cluster", address, "--format", "docx")
    lines = []
    for line in proc.stderr:
        lines.append(line)
        if re.match(r"\[1/3\] 已生成", line):
            os.killpg(procs[0].pid, signal.SIGKILL)
            break
    out, err = proc.communicate(timeout=BOUND)
    err = "".join(lines) + err
    assert proc.returncode == 2, out + err
    assert "Traceback" not in err and f"与 Dask 调度器 {address} 的连接中断" in out, out + err
    rows = report(tmp_path / "out")
    done = [r for r in rows if r["状态"] == "已生成"]
    left = [r for r in rows if r["状态"] == "未完成（已中断）"]
    assert done and left and len(done) + len(left) == 3, rows
    assert all("连接中断" in r["问题"] and "再次运行" in r["问题"] for r in left)
    for r in done:
        for name in r["输出文件"].splitlines():
            assert (tmp_path / "out" / name).stat().st_size > 0
    assert texts(tmp_path / "out").keys() == {n for r in done for n in r["输出文件"].splitlines()}
    # the same command without the cluster (the local pool) renders the rest only
    again = run_cli("batch", str(units), "--out", str(tmp_path / "out"), "--jobs", "2", "--format", "docx")
    assert again.returncode == 0 and f"已跳过（未变化） {len(done)} 个" in again.stdout, again.stdout
