"""generator/cache.py: compiled code kept between runs, used only for exactly what it was made from."""
from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest

from generator import cache


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("JUESUAN_CACHE_DIR", str(d))
    monkeypatch.delenv("JUESUAN_NO_CACHE", raising=False)
    cache.directory.cache_clear()
    yield d
    cache.directory.cache_clear()


def compiled(calls: list, text: str, key: str = "k1"):
    def source() -> str:
        calls.append(text)
        return text
    return cache.code("entry", [key, b"bytes"], source, "<test>")


def run(code) -> dict:
    namespace: dict = {}
    exec(code, namespace)
    return namespace


def test_code_is_compiled_once_and_then_read(folder):
    calls: list = []
    assert run(compiled(calls, "X = 1"))["X"] == 1
    assert (folder / "entry").is_file() and oct(folder.stat().st_mode & 0o777) == "0o700"
    assert run(compiled(calls, "X = 1"))["X"] == 1
    assert calls == ["X = 1"]                        # the second time from the cache


def test_another_key_compiles_afresh_and_replaces_the_entry(folder):
    calls: list = []
    compiled(calls, "X = 1", key="k1")
    assert run(compiled(calls, "X = 2", key="k2"))["X"] == 2
    assert run(compiled(calls, "X = 2", key="k2"))["X"] == 2
    assert calls == ["X = 1", "X = 2"]
    assert [p.name for p in folder.iterdir()] == ["entry"]


def test_a_damaged_entry_is_compiled_again(folder):
    calls: list = []
    compiled(calls, "X = 1")
    entry = folder / "entry"
    key_line = entry.read_bytes().split(b"\n", 1)[0]
    entry.write_bytes(key_line + b"\nnot marshal data")
    assert run(compiled(calls, "X = 1"))["X"] == 1
    assert calls == ["X = 1", "X = 1"]


def test_no_cache_when_turned_off_or_writable_by_others(folder, monkeypatch):
    calls: list = []
    monkeypatch.setenv("JUESUAN_NO_CACHE", "1")
    cache.directory.cache_clear()
    assert cache.directory() is None
    assert run(compiled(calls, "X = 1"))["X"] == 1 and not folder.exists()
    monkeypatch.delenv("JUESUAN_NO_CACHE")
    folder.mkdir()
    os.chmod(folder, 0o777)
    cache.directory.cache_clear()
    assert cache.directory() is None                   # others could put code there
    compiled(calls, "X = 1")
    assert not list(folder.iterdir()) and calls == ["X = 1", "X = 1"]


def test_jinja_templates_are_read_back_and_an_edit_is_seen(folder, tmp_path):
    templates = tmp_path / "t"
    templates.mkdir()
    (templates / "a.j2").write_text("甲{{ x }}", encoding="utf-8")

    def env() -> jinja2.Environment:
        return jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates)),
                                  bytecode_cache=cache.jinja_bytecode_cache())

    assert env().get_template("a.j2").render(x=1) == "甲1"
    entries = [p for p in folder.iterdir() if p.name.startswith("jinja-")]
    assert len(entries) == 1
    compiled_once = entries[0].read_bytes()
    assert env().get_template("a.j2").render(x=2) == "甲2"
    assert entries[0].read_bytes() == compiled_once
    (templates / "a.j2").write_text("乙{{ x }}", encoding="utf-8")
    assert env().get_template("a.j2").render(x=3) == "乙3"   # the source's checksum differs
    assert entries[0].read_bytes() != compiled_once


def test_the_schema_validator_comes_from_the_cache(folder):
    from generator.load import schema
    schema.fast_validator.cache_clear()
    try:
        first = schema.fast_validator("unit")
        assert (folder / "unit-schema-validator").is_file()
        schema.fast_validator.cache_clear()
        second = schema.fast_validator("unit")
    finally:
        schema.fast_validator.cache_clear()
    import fastjsonschema
    for validate in (first, second):
        with pytest.raises(fastjsonschema.JsonSchemaException):
            validate({"单位名称": 5})
