"""The web workspace's own profiles (issue 25): <data>/profiles/ is a --profiles folder the admin
manages on the server. The admin's page lists its profiles with what ``juesuan profile check``
says of them; units may choose them (the blank workbooks, an upload that names one is checked in
a worker that searches the folder too)."""
from __future__ import annotations

import re

import pytest

from .conftest import EXAMPLES, run_cli
from .test_web import PASSWORDS, XIAOHE, Api, Server, cli, q


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("workspace")
    tokens = {}
    for name, role, units in (("管理员", "admin", []), ("张三", "unit", [XIAOHE])):
        extra = [a for u in units for a in ("--unit", u)]
        assert cli("user", "add", name, "--role", role, *extra, "--data", str(data), "--password-stdin",
                   stdin=PASSWORDS[name] + "\n").returncode == 0
        tokens[name] = cli("user", "token", name, "--data", str(data)).stdout.strip().splitlines()[-1]
    server = Server(data)
    yield {"data": data, "admin": Api(server, tokens["管理员"]), "zhang": Api(server, tokens["张三"])}
    server.stop()


def test_the_admin_sees_the_folders_profiles_and_their_check_and_units_may_choose_them(site, tmp_path):
    admin, zhang, data = site["admin"], site["zhang"], site["data"]
    status, _, page = admin.get("/admin/profiles")
    assert status == 200 and "文件夹还不存在" in page.decode()
    # the admin makes one on the server, while it runs
    proc = run_cli("profile", "new", "xiaohe-local", "--from", "shanxi-2022", "--out", str(data / "profiles"))
    assert proc.returncode == 0, proc.stderr
    yaml = data / "profiles" / "profiles" / "xiaohe-local.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace("标题: 收入决算表", "标题: 收入决算表（区）", 1),
                    encoding="utf-8")
    status, _, page = admin.get("/admin/profiles")
    text = page.decode()
    assert status == 200 and "xiaohe-local" in text and "通过" in text and "检查没有发现问题" in text
    assert zhang.get("/admin/profiles")[0] == 403
    status, _, page = zhang.get(f"/units/{q(XIAOHE)}")
    assert status == 200 and "profile=xiaohe-local" in page.decode()
    status, headers, body = zhang.get(f"/units/{q(XIAOHE)}/template.xlsx?profile=xiaohe-local")
    assert status == 200 and body[:2] == b"PK"
    # an upload that names it is checked with it
    unit = (EXAMPLES / "xiaohe-2022.yaml").read_text(encoding="utf-8").replace("模板: shanxi-2022", "模板: xiaohe-local")
    status, out = zhang.upload(XIAOHE, "xiaohe.yaml", unit.encode())
    assert status == 200 and out.get("status") == "checked", out
    # a broken profile: the page says where, as the command does
    broken = data / "profiles" / "profiles" / "broken.yaml"
    broken.write_text("继承: shanxi-2023\n起始年度: 2030\n表内千位: true\n", encoding="utf-8")
    status, _, page = admin.get("/admin/profiles")
    text = page.decode()
    assert status == 200 and re.search(r"broken\.yaml：第3行：表内千位：未知的键", text), text
    broken.unlink()
