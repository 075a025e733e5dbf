"""The workspace on disk: one SQLite database and the units' files.

    <data>/juesuan.sqlite3                          units, accounts, tokens, sessions, versions,
                                                    jobs, audit log, failed logins
    <data>/units/<safe name>/versions/<id>/<file>   every upload, kept as it came (never changed)
    <data>/units/<safe name>/versions/<id>/preview.html   its draft preview (written by the check)
    <data>/units/<safe name>/reports/<id>-final/     the DOCX and PDF of version <id>
    <data>/units/<safe name>/reports/<id>-draft/     its draft DOCX and PDF
    <data>/batch/                                   batch runs (generator.batch's output folder)
    <data>/tmp/                                     uploads being received (web.uploads), then renamed
                                                    into their version folder

(<id> is a version's global id, never its number within the unit.)

The schema is created on first start. Every connection runs in WAL mode with a busy timeout, so
the server's threads and the ``juesuan user`` command can use the database at once; writes that
read-then-write take the write lock first (BEGIN IMMEDIATE). Files are written atomically (temp +
rename) before their row says they exist.

Version ids are global (one sequence for all units): an id alone never tells whose it is, and
every lookup of a version goes through the unit the account may see. Folders, URLs and the API's
``version``/``id`` fields use the id. What people read is the version's ``number``: 1, 2, 3 … within
its unit, given in the same write transaction as its row (so two uploads at once get consecutive
numbers), unique per unit (index versions_unit_number). A database made before numbers existed
is numbered when opened (``_number_versions``: per unit, in id order).
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterator

from ..names import safe_filename
from .naming import unit_key, unit_name_problem

DB_NAME = "juesuan.sqlite3"
SESSION_HOURS = 12

# Login throttling (reserve_login). Failed logins are counted per (name, address) and per address
# over LOGIN_WINDOW; within an allowance no wait, then each further attempt waits from the last
# failure LOGIN_DELAY_FIRST, doubled for every failure beyond the allowance, up to LOGIN_DELAY_CAP.
# A successful login forgives the failures of its name at its address.
LOGIN_PAIR_ALLOWANCE = 5               # failures of one name from one address
LOGIN_ADDRESS_ALLOWANCE = 30           # failures from one address, all names together
LOGIN_DELAY_FIRST = 60                 # seconds
LOGIN_DELAY_CAP = 30 * 60
LOGIN_WINDOW = 24 * 3600               # failures older than this are forgotten
AUDIT_PAGE = 100                       # rows per page of the audit log (/admin/log)

# a version's state: being checked, checked (findings known; may become current), unreadable
# (InputError: kept, never current), interrupted (the server stopped while checking it), removed
# (was unreadable; its file deleted when more than KEEP_UNREADABLE newer unreadable ones came)
PENDING, CHECKED, UNREADABLE, INTERRUPTED, REMOVED = "pending", "checked", "unreadable", "interrupted", "removed"
KEEP_UNREADABLE = 5                     # a unit's newest unreadable uploads kept with their files
RUNNING, DONE, FAILED, STOPPED = "running", "done", "failed", "interrupted"

SCHEMA = """
CREATE TABLE IF NOT EXISTS units (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    dir TEXT NOT NULL UNIQUE,
    current_version INTEGER,
    claim INTEGER NOT NULL DEFAULT 0,       -- the highest version id that has claimed "current"
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'unit')),
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS account_units (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    unit_id INTEGER NOT NULL REFERENCES units(id) ON DELETE CASCADE,
    PRIMARY KEY (account_id, unit_id)
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_used TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    number INTEGER,                         -- 1, 2, 3 … within the unit (add_version; unique per unit)
    filename TEXT NOT NULL,                 -- the stored file's name (made safe)
    original_name TEXT NOT NULL,            -- as uploaded (shown escaped, never used as a path)
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    account_id INTEGER REFERENCES accounts(id),
    account_name TEXT NOT NULL,
    uploaded TEXT NOT NULL,
    status TEXT NOT NULL,
    errors INTEGER NOT NULL DEFAULT 0,
    warnings INTEGER NOT NULL DEFAULT 0,
    infos INTEGER NOT NULL DEFAULT 0,
    result TEXT                             -- JSON: findings, views, problems (work.check_upload)
);
CREATE INDEX IF NOT EXISTS versions_unit ON versions(unit_id, id);
-- versions_unit_number (UNIQUE (unit_id, number)): made by _number_versions, after a database
-- from before the column has been given it
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    account_id INTEGER,
    account_name TEXT NOT NULL,
    created TEXT NOT NULL,
    finished TEXT,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    units TEXT NOT NULL,                    -- JSON list of unit names
    results TEXT,                           -- JSON list, one object per unit
    message TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    ip TEXT NOT NULL DEFAULT ''
);
-- one row per login attempt being verified or failed (a success deletes the rows of its name and
-- address): reserve_login counts them before a password is verified
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    ip TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_pair ON login_attempts(name, ip, at);
CREATE INDEX IF NOT EXISTS login_attempts_ip ON login_attempts(ip, at);
CREATE INDEX IF NOT EXISTS login_attempts_at ON login_attempts(at);
-- the lock periods already written to the audit log (one row per period and key)
CREATE TABLE IF NOT EXISTS login_locks (
    key TEXT NOT NULL,
    since REAL NOT NULL,
    PRIMARY KEY (key, since)
);
DROP TABLE IF EXISTS login_failures;         -- the per-name lock of earlier versions
"""


def now_text() -> str:
    return datetime.now().strftime("%Y-%m-%d %H:%M:%S")


class StoreError(Exception):
    """A request the store refuses (Chinese message): no such account, name taken …"""


class QuotaExceeded(StoreError):
    """An upload that would take the unit's stored files over its quota."""

    def __init__(self, used: int, size: int, quota: int):
        super().__init__(quota_message(used, size, quota))
        self.used, self.size, self.quota = used, size, quota


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def quota_message(used: int, size: int, quota: int) -> str:
    adding = f"，加上这个文件（{_mb(size)}）" if size else ""
    return (f"本单位保存的上传文件已有 {_mb(used)}{adding}超过上限 {_mb(quota)}，这次上传没有保存。"
            "请与部门财务联系（服务的 --unit-quota-mb 选项可以调高上限）")


@dataclass(frozen=True)
class Unit:
    id: int
    name: str
    dir: str
    current_version: int | None
    created: str


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    disabled: bool
    unit_ids: frozenset[int]

    @property
    def admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, unit: Unit) -> bool:
        return self.admin or unit.id in self.unit_ids


@dataclass(frozen=True)
class LoginTicket:
    """What ``reserve_login`` decided: an attempt reserved (``attempt``: its row), or refused."""
    attempt: int | None         # the reserved attempt's row; None: refused, verify nothing
    wait: float = 0             # refused: seconds until the next attempt may be made
    scope: str = ""             # refused: "pair" (this name from this address) or "address"
    failures: int = 0           # refused: the failures that lock counts
    first: bool = False         # refused: the first refusal of this lock period (audit it)


def login_delay(failures: int, allowance: int) -> float:
    """Seconds an attempt waits after the last failure: none within the allowance, then
    LOGIN_DELAY_FIRST, doubled for every further failure, at most LOGIN_DELAY_CAP."""
    if failures < allowance:
        return 0
    return min(LOGIN_DELAY_FIRST * 2 ** min(failures - allowance, 30), LOGIN_DELAY_CAP)


@dataclass(frozen=True)
class Version:
    id: int                     # global: folders, URLs, the API's "version"
    unit_id: int
    number: int                 # within the unit (1, 2, 3 …): what people read as "版本 N"
    filename: str
    original_name: str
    size: int
    sha256: str
    account_name: str
    uploaded: str
    status: str
    errors: int
    warnings: int
    infos: int
    result: dict

    @property
    def usable(self) -> bool:
        return self.status == CHECKED


class Store:
    """The workspace: ``Store(data_dir)`` creates the folder and the schema when missing."""

    def __init__(self, data: Path):
        self.data = Path(data).resolve()
        self.data.mkdir(parents=True, exist_ok=True)
        (self.data / "units").mkdir(exist_ok=True)
        self.tmp_dir = self.data / "tmp"
        self.tmp_dir.mkdir(exist_ok=True)
        self.db_path = self.data / DB_NAME
        with self.connect() as db:
            db.executescript(SCHEMA)
            numbered = _numbered(db)
        if not numbered:
            with self.connect(write=True) as db:
                _number_versions(db)

    # ------------------------------------------------------------ connections

    @contextmanager
    def connect(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection for one unit of work: ``write`` takes the write lock at once (BEGIN
        IMMEDIATE) and commits at the end (rolls back on an exception)."""
        db = sqlite3.connect(self.db_path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA synchronous=NORMAL")
            if write:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            else:
                yield db
        finally:
            db.close()

    # ------------------------------------------------------------ units

    def unit_dir(self, unit: Unit) -> Path:
        return self.data / "units" / unit.dir

    def version_dir(self, unit: Unit, version_id: int) -> Path:
        return self.unit_dir(unit) / "versions" / str(version_id)

    def reports_dir(self, unit: Unit, version_id: int, draft: bool) -> Path:
        return self.unit_dir(unit) / "reports" / f"{version_id}-{'draft' if draft else 'final'}"

    def unit(self, name: str) -> Unit | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM units WHERE name = ?", (name,)).fetchone()
        return _unit(row)

    def unit_by_id(self, unit_id: int) -> Unit | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM units WHERE id = ?", (unit_id,)).fetchone()
        return _unit(row)

    def units(self) -> list[Unit]:
        with self.connect() as db:
            return [_unit(r) for r in db.execute("SELECT * FROM units ORDER BY name")]

    def ensure_unit(self, name: str) -> Unit:
        """The unit ``name``, created (with its folder) when first named; a name equal to an
        existing unit's after NFKC (naming.unit_key) is that unit. Names holding invisible
        characters, or only dots, are refused (naming.unit_name_problem)."""
        name = name.strip()
        why = unit_name_problem(name)
        if why:
            raise StoreError(why)
        found = self.unit(name)
        if found:
            return found
        key = unit_key(name)
        with self.connect(write=True) as db:
            row = db.execute("SELECT * FROM units WHERE name = ?", (name,)).fetchone()
            if row:
                return _unit(row)
            for row in db.execute("SELECT * FROM units ORDER BY id"):
                if unit_key(row["name"]) == key:
                    return _unit(row)
            base = safe_filename(name, limit_bytes=120)
            taken = {r[0].casefold() for r in db.execute("SELECT dir FROM units")}
            folder, n = base, 2
            while folder.casefold() in taken:
                folder, n = f"{base}-{n}", n + 1
            cur = db.execute("INSERT INTO units (name, dir, created) VALUES (?, ?, ?)", (name, folder, now_text()))
            row = db.execute("SELECT * FROM units WHERE id = ?", (cur.lastrowid,)).fetchone()
        unit = _unit(row)
        (self.unit_dir(unit) / "versions").mkdir(parents=True, exist_ok=True)
        return unit

    # ------------------------------------------------------------ accounts

    def add_account(self, name: str, role: str, password_hash: str | None, unit_names: list[str]) -> Account:
        name = name.strip()
        if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
            raise StoreError(f"用户名“{name}”不可用：应为 1–100 个字符，不含控制字符")
        if role == "unit" and not unit_names:
            raise StoreError("单位填报人员至少要有一个单位：用 --unit 单位名称 指定")
        units = [self.ensure_unit(u) for u in unit_names]
        with self.connect(write=True) as db:
            if db.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise StoreError(f"用户“{name}”已存在")
            cur = db.execute("INSERT INTO accounts (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
                             (name, role, password_hash, now_text()))
            for u in units:
                db.execute("INSERT OR IGNORE INTO account_units VALUES (?, ?)", (cur.lastrowid, u.id))
            account_id = cur.lastrowid
        return self.account_by_id(account_id)

    def set_password(self, account_id: int, password_hash: str) -> None:
        with self.connect(write=True) as db:
            db.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, account_id))

    def reset_password(self, account_id: int, password_hash: str) -> int:
        """A new password set by the admin: the account's sessions end and its API tokens are
        revoked, in the same transaction. Returns how many tokens were revoked."""
        with self.connect(write=True) as db:
            db.execute("UPDATE accounts SET password_hash = ? WHERE id = ?", (password_hash, account_id))
            db.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))
            return db.execute("DELETE FROM tokens WHERE account_id = ?", (account_id,)).rowcount

    def set_units(self, account_id: int, unit_names: list[str]) -> None:
        """The account's units become exactly ``unit_names`` (each created when first named)."""
        units = [self.ensure_unit(u) for u in unit_names]
        with self.connect(write=True) as db:
            db.execute("DELETE FROM account_units WHERE account_id = ?", (account_id,))
            for u in units:
                db.execute("INSERT OR IGNORE INTO account_units VALUES (?, ?)", (account_id, u.id))

    def set_disabled(self, account_id: int, disabled: bool) -> None:
        """A disabled account cannot log in; its sessions end and its API tokens stop working."""
        with self.connect(write=True) as db:
            db.execute("UPDATE accounts SET disabled = ? WHERE id = ?", (int(disabled), account_id))
            if disabled:
                db.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))

    def drop_sessions(self, account_id: int) -> None:
        with self.connect(write=True) as db:
            db.execute("DELETE FROM sessions WHERE account_id = ?", (account_id,))

    def account_by_name(self, name: str) -> Account | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
            return _account(db, row)

    def account_by_id(self, account_id: int) -> Account | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM accounts WHERE id = ?", (account_id,)).fetchone()
            return _account(db, row)

    def password_hash(self, name: str) -> tuple[Account | None, str | None]:
        with self.connect() as db:
            row = db.execute("SELECT * FROM accounts WHERE name = ?", (name,)).fetchone()
            return _account(db, row), (row["password_hash"] if row else None)

    def accounts(self) -> list[Account]:
        with self.connect() as db:
            return [_account(db, r) for r in db.execute("SELECT * FROM accounts ORDER BY name")]

    # ------------------------------------------------------------ API tokens and sessions

    def add_token(self, account_id: int, token_hash: str) -> None:
        with self.connect(write=True) as db:
            db.execute("INSERT INTO tokens (account_id, token_hash, created) VALUES (?, ?, ?)",
                       (account_id, token_hash, now_text()))

    def revoke_tokens(self, account_id: int) -> int:
        """Every API token of the account stops working; how many there were."""
        with self.connect(write=True) as db:
            return db.execute("DELETE FROM tokens WHERE account_id = ?", (account_id,)).rowcount

    def token_counts(self) -> dict[int, int]:
        """How many API tokens each account has, by account id (accounts without any left out)."""
        with self.connect() as db:
            return dict(db.execute("SELECT account_id, COUNT(*) FROM tokens GROUP BY account_id").fetchall())

    def account_by_token(self, token_hash: str) -> Account | None:
        with self.connect() as db:
            row = db.execute("SELECT a.* FROM tokens t JOIN accounts a ON a.id = t.account_id "
                             "WHERE t.token_hash = ?", (token_hash,)).fetchone()
            return _account(db, row)

    def add_session(self, token_hash: str, account_id: int, csrf: str) -> None:
        with self.connect(write=True) as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                       (token_hash, account_id, csrf, time.time() + SESSION_HOURS * 3600))

    def session(self, token_hash: str) -> tuple[Account, str] | None:
        """(account, CSRF token) of a live session, or None."""
        with self.connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE token_hash = ? AND expires > ?",
                             (token_hash, time.time())).fetchone()
            if not row:
                return None
            acc = db.execute("SELECT * FROM accounts WHERE id = ?", (row["account_id"],)).fetchone()
            account = _account(db, acc)
            return (account, row["csrf"]) if account else None

    def drop_session(self, token_hash: str) -> None:
        with self.connect(write=True) as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # ------------------------------------------------------------ login throttling

    def reserve_login(self, name: str, ip: str, now: float | None = None) -> LoginTicket:
        """Before a password is verified: whether ``name`` may try from ``ip`` now, and if so the
        attempt reserved — counted as a failure until ``login_succeeded`` — in the same write
        transaction that counted, so of any number of attempts at once at most the allowance is
        ever verified. A refusal reserves nothing; ``first`` says whether it is the first of its
        lock period (keyed by the lock and the failure that started the period)."""
        now = time.time() if now is None else now
        with self.connect(write=True) as db:
            db.execute("DELETE FROM login_attempts WHERE at < ?", (now - LOGIN_WINDOW,))
            db.execute("DELETE FROM login_locks WHERE since < ?", (now - LOGIN_WINDOW,))
            locks = (("pair", f"pair:{ip}\n{name}", LOGIN_PAIR_ALLOWANCE,
                      db.execute("SELECT COUNT(*), MAX(at) FROM login_attempts WHERE name = ? AND ip = ?",
                                 (name, ip)).fetchone()),
                     ("address", f"ip:{ip}", LOGIN_ADDRESS_ALLOWANCE,
                      db.execute("SELECT COUNT(*), MAX(at) FROM login_attempts WHERE ip = ?", (ip,)).fetchone()))
            refused = None
            for scope, key, allowance, (count, last) in locks:
                wait = last + login_delay(count, allowance) - now if count >= allowance else 0
                if wait > 0 and (refused is None or wait > refused[0]):
                    refused = (wait, scope, key, count, last)
            if refused:
                wait, scope, key, count, last = refused
                first = db.execute("INSERT OR IGNORE INTO login_locks VALUES (?, ?)", (key, last)).rowcount == 1
                return LoginTicket(None, wait, scope, count, first)
            cur = db.execute("INSERT INTO login_attempts (name, ip, at) VALUES (?, ?, ?)", (name, ip, now))
            return LoginTicket(cur.lastrowid)

    def login_succeeded(self, name: str, ip: str) -> None:
        """A right password: the failures of ``name`` from ``ip`` (and the attempt just reserved)
        are forgiven, for the name and for the address's count."""
        with self.connect(write=True) as db:
            db.execute("DELETE FROM login_attempts WHERE name = ? AND ip = ?", (name, ip))

    # ------------------------------------------------------------ versions

    def add_version(self, unit: Unit, account: Account, original_name: str, filename: str,
                    source: Path, size: int, sha256: str, quota: int = 0) -> Version:
        """A new version (status pending, the unit's next number) with its file ``source`` (of
        ``size`` bytes, complete, on this file system: <data>/tmp/) renamed into its own folder;
        ``QuotaExceeded`` when the unit's stored uploads would then exceed ``quota`` bytes (0: no quota)."""
        with self.connect(write=True) as db:          # the write lock: no other number given meanwhile
            if quota:
                used = _used(db, unit.id)
                if used + size > quota:
                    raise QuotaExceeded(used, size, quota)
            number = db.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM versions WHERE unit_id = ?",
                                (unit.id,)).fetchone()[0]
            cur = db.execute(
                "INSERT INTO versions (unit_id, number, filename, original_name, size, sha256, account_id,"
                " account_name, uploaded, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit.id, number, filename, original_name, size, sha256, account.id, account.name, now_text(),
                 PENDING))
            version_id = cur.lastrowid
        target = self.version_dir(unit, version_id) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return self.version(version_id)

    def unit_usage(self, unit: Unit) -> int:
        """Bytes of the unit's stored uploads (what its quota counts)."""
        with self.connect() as db:
            return _used(db, unit.id)

    def prune_unreadable(self, unit: Unit, keep: int = KEEP_UNREADABLE) -> list[int]:
        """The unit's unreadable uploads but the newest ``keep`` become ``removed``: their folders
        deleted, their rows (number, name, problems) kept. Never the current version. Returns their ids."""
        with self.connect(write=True) as db:
            current = db.execute("SELECT current_version FROM units WHERE id = ?", (unit.id,)).fetchone()[0]
            ids = [r[0] for r in db.execute("SELECT id FROM versions WHERE unit_id = ? AND status = ? ORDER BY id DESC",
                                            (unit.id, UNREADABLE)).fetchall()[keep:] if r[0] != current]
            db.executemany("UPDATE versions SET status = ? WHERE id = ?", [(REMOVED, i) for i in ids])
        for version_id in ids:
            shutil.rmtree(self.version_dir(unit, version_id), ignore_errors=True)
        return ids

    def finish_version(self, version_id: int, status: str, result: dict, counts: tuple[int, int, int]) -> bool:
        """Record the check of a version; a checked one becomes its unit's current version unless
        a later upload (or a restore) has claimed that since. Returns whether it became current."""
        with self.connect(write=True) as db:
            db.execute("UPDATE versions SET status = ?, errors = ?, warnings = ?, infos = ?, result = ? WHERE id = ?",
                       (status, *counts, json.dumps(result, ensure_ascii=False), version_id))
            if status != CHECKED:
                return False
            unit_id = db.execute("SELECT unit_id FROM versions WHERE id = ?", (version_id,)).fetchone()[0]
            cur = db.execute("UPDATE units SET current_version = ?, claim = ? WHERE id = ? AND claim < ?",
                             (version_id, version_id, unit_id, version_id))
            return cur.rowcount == 1

    def restore(self, unit: Unit, version_id: int) -> None:
        """Make an earlier (checked) version current; uploads still being checked do not take
        it back, later ones do."""
        with self.connect(write=True) as db:
            top = db.execute("SELECT COALESCE(MAX(id), 0) FROM versions").fetchone()[0]
            db.execute("UPDATE units SET current_version = ?, claim = ? WHERE id = ?", (version_id, top, unit.id))

    def version(self, version_id: int) -> Version | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM versions WHERE id = ?", (version_id,)).fetchone()
        return _version(row)

    def versions(self, unit: Unit) -> list[Version]:
        with self.connect() as db:
            return [_version(r) for r in db.execute("SELECT * FROM versions WHERE unit_id = ? ORDER BY id DESC",
                                                    (unit.id,))]

    def latest_versions(self) -> dict[int, Version]:
        """Each unit's newest upload (whatever its state), by unit id."""
        with self.connect() as db:
            rows = db.execute("SELECT * FROM versions WHERE id IN (SELECT MAX(id) FROM versions GROUP BY unit_id)")
            return {r["unit_id"]: _version(r) for r in rows}

    # ------------------------------------------------------------ jobs

    def add_job(self, job_id: str, kind: str, account: Account, units: list[str]) -> None:
        with self.connect(write=True) as db:
            db.execute("INSERT INTO jobs (id, kind, status, account_id, account_name, created, total, units)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (job_id, kind, RUNNING, account.id, account.name, now_text(), len(units),
                        json.dumps(units, ensure_ascii=False)))

    def job_progress(self, job_id: str, done: int, total: int | None = None) -> None:
        with self.connect(write=True) as db:
            if total is None:
                db.execute("UPDATE jobs SET done = ? WHERE id = ?", (done, job_id))
            else:
                db.execute("UPDATE jobs SET done = ?, total = ? WHERE id = ?", (done, total, job_id))

    def finish_job(self, job_id: str, status: str, results: list[dict], message: str = "") -> None:
        with self.connect(write=True) as db:
            db.execute("UPDATE jobs SET status = ?, finished = ?, results = ?, message = ?,"
                       " done = CASE WHEN ? = 'done' THEN total ELSE done END WHERE id = ?",
                       (status, now_text(), json.dumps(results, ensure_ascii=False), message, status, job_id))

    def job(self, job_id: str) -> dict | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return _job(row)

    def jobs(self, limit: int = 20) -> list[dict]:
        with self.connect() as db:
            return [_job(r) for r in db.execute("SELECT * FROM jobs ORDER BY created DESC, rowid DESC LIMIT ?",
                                                (limit,))]

    def running_job(self) -> dict | None:
        with self.connect() as db:
            row = db.execute("SELECT * FROM jobs WHERE status = ? ORDER BY created LIMIT 1", (RUNNING,)).fetchone()
        return _job(row)

    def mark_unfinished(self) -> int:
        """At start: jobs and checks a stopped server left running are marked as interrupted."""
        with self.connect(write=True) as db:
            n = db.execute("UPDATE jobs SET status = ?, finished = ?, message = ? WHERE status = ?",
                           (STOPPED, now_text(), "服务器在批量生成完成前停止；再次点“全部生成”即可从中断处继续", RUNNING)).rowcount
            db.execute("UPDATE versions SET status = ? WHERE status = ?", (INTERRUPTED, PENDING))
        return n

    # ------------------------------------------------------------ audit log

    def audit(self, account: str, action: str, unit: str = "", detail: str = "", ip: str = "") -> None:
        with self.connect(write=True) as db:
            db.execute("INSERT INTO audit (at, account, action, unit, detail, ip) VALUES (?, ?, ?, ?, ?, ?)",
                       (now_text(), account, action, unit, detail, ip))

    def audit_log(self, limit: int = 200) -> list[dict]:
        with self.connect() as db:
            return [dict(r) for r in db.execute("SELECT * FROM audit ORDER BY id DESC LIMIT ?", (limit,))]

    def audit_page(self, account: str = "", action: str = "", unit: str = "", page: int = 1,
                   per_page: int = AUDIT_PAGE) -> tuple[list[dict], int]:
        """One page (1, 2 …; newest first) of the audit rows whose account and unit contain the
        texts given and whose action is ``action`` (empty: any), and how many rows match in all."""
        where, args = [], []
        if account:
            where.append("instr(account, ?) > 0")
            args.append(account)
        if action:
            where.append("action = ?")
            args.append(action)
        if unit:
            where.append("instr(unit, ?) > 0")
            args.append(unit)
        sql = " WHERE " + " AND ".join(where) if where else ""
        with self.connect() as db:
            total = db.execute("SELECT COUNT(*) FROM audit" + sql, args).fetchone()[0]
            rows = db.execute(f"SELECT * FROM audit{sql} ORDER BY id DESC LIMIT ? OFFSET ?",
                              (*args, per_page, (max(page, 1) - 1) * per_page))
            return [dict(r) for r in rows], total

    def audit_actions(self) -> list[str]:
        """The actions the audit log holds (the code's words, never a user's), sorted."""
        with self.connect() as db:
            return [r[0] for r in db.execute("SELECT DISTINCT action FROM audit ORDER BY action")]


def _used(db: sqlite3.Connection, unit_id: int) -> int:
    return db.execute("SELECT COALESCE(SUM(size), 0) FROM versions WHERE unit_id = ? AND status != ?",
                      (unit_id, REMOVED)).fetchone()[0]


def _numbered(db: sqlite3.Connection) -> bool:
    """Whether every version has its number and the unique index is there."""
    if "number" not in {r["name"] for r in db.execute("PRAGMA table_info(versions)")}:
        return False
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'versions_unit_number'").fetchone():
        return False
    return db.execute("SELECT 1 FROM versions WHERE number IS NULL LIMIT 1").fetchone() is None


def _number_versions(db: sqlite3.Connection) -> None:
    """Give every version without a number the next of its unit, in id order, then the unique
    index (in the caller's write transaction). A database from before numbers existed gets the
    column first: its versions are then numbered 1..n per unit; a row written meanwhile by a server
    of the earlier code (no number) gets one the next time the workspace is opened."""
    if "number" not in {r["name"] for r in db.execute("PRAGMA table_info(versions)")}:
        db.execute("ALTER TABLE versions ADD COLUMN number INTEGER")
    top = {unit_id: n for unit_id, n in db.execute(
        "SELECT unit_id, MAX(number) FROM versions WHERE number IS NOT NULL GROUP BY unit_id")}
    given = []
    for version_id, unit_id in db.execute("SELECT id, unit_id FROM versions WHERE number IS NULL ORDER BY id").fetchall():
        top[unit_id] = top.get(unit_id, 0) + 1
        given.append((top[unit_id], version_id))
    db.executemany("UPDATE versions SET number = ? WHERE id = ?", given)
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS versions_unit_number ON versions(unit_id, number)")


def _unit(row) -> Unit | None:
    if row is None:
        return None
    return Unit(row["id"], row["name"], row["dir"], row["current_version"], row["created"])


def _account(db: sqlite3.Connection, row) -> Account | None:
    if row is None:
        return None
    ids = frozenset(r[0] for r in db.execute("SELECT unit_id FROM account_units WHERE account_id = ?", (row["id"],)))
    return Account(row["id"], row["name"], row["role"], bool(row["disabled"]), ids)


def _version(row) -> Version | None:
    if row is None:
        return None
    return Version(row["id"], row["unit_id"], row["number"], row["filename"], row["original_name"], row["size"], row["sha256"],
                   row["account_name"], row["uploaded"], row["status"], row["errors"], row["warnings"],
                   row["infos"], json.loads(row["result"]) if row["result"] else {})


def _job(row) -> dict | None:
    if row is None:
        return None
    out = dict(row)
    out["units"] = json.loads(out["units"])
    out["results"] = json.loads(out["results"]) if out["results"] else []
    return out
