"""`make serve`: a demo web workspace from data/examples/ (in output/, which git ignores).

Accounts (demo passwords, printed; never use them on a real workspace):
  财务        admin (部门财务)
  填报员N     unit, one per example unit
Every example is uploaded once as its unit's first version (checked as an upload is). Running it
again changes nothing that is already there.
"""
from __future__ import annotations

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generator.load.unit_loader import load_unit          # noqa: E402
from generator.web import work                           # noqa: E402
from generator.web.accounts import hash_password         # noqa: E402
from generator.web.common import _counts                   # noqa: E402
from generator.web.store import Store                    # noqa: E402

ADMIN, ADMIN_PASSWORD, UNIT_PASSWORD = "财务", "demo-admin-1", "demo-unit-1"


def main(data: Path) -> int:
    store = Store(data)
    if store.account_by_name(ADMIN) is None:
        store.add_account(ADMIN, "admin", hash_password(ADMIN_PASSWORD), [])
    print(f"部门财务：{ADMIN} / {ADMIN_PASSWORD}")
    for n, path in enumerate(sorted((ROOT / "data" / "examples").glob("*.yaml")), 1):
        name = load_unit(path).name
        user = f"填报员{n}"
        if store.account_by_name(user) is None:
            store.add_account(user, "unit", hash_password(UNIT_PASSWORD), [name])
        unit = store.ensure_unit(name)
        print(f"单位填报：{user} / {UNIT_PASSWORD}（{name}）")
        if store.versions(unit):
            continue
        account = store.account_by_name(user)
        blob = path.read_bytes()
        received = store.tmp_dir / f"demo-{n}{path.suffix}"      # as an upload arrives: then moved in
        received.write_bytes(blob)
        version = store.add_version(unit, account, path.name, path.name, received, len(blob),
                                    hashlib.sha256(blob).hexdigest())
        result = work.check_upload(str(store.version_dir(unit, version.id)), path.name, name)
        store.finish_version(version.id, result["status"], result, _counts(result.get("findings", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "output" / "工作区")))
