"""The web workspace (issue 14): one server a department runs for its units.

    juesuan serve --data 工作区/ [--host 127.0.0.1] [--port 8000]
    juesuan user add 张三 --role unit --unit 某单位名称 --data 工作区/ --password-stdin
    juesuan user token 张三 --data 工作区/ [--revoke]

Modules (this package's ``__init__`` imports nothing, so ``juesuan check`` does not pay for it):

  store.py     the workspace on disk: SQLite (units, accounts, tokens, sessions, versions, jobs,
               audit log, login attempts and locks) and the files under ``<data>/units/<safe name>/``
  accounts.py  argon2 password hashes, API tokens (stored as SHA-256), session and CSRF tokens
  work.py      what runs in worker processes: check an upload (findings as ``check --format json``
               gives them, the draft preview HTML), render a version's DOCX and PDF
  batchjob.py  render every unit through ``generator.batch.run_batch`` in the background
  app.py       the Starlette application: pages (Jinja, templates/web/) and the HTTP API
  commands.py  the ``serve`` and ``user`` commands (argparse; Starlette and Uvicorn are imported
               only when ``serve`` runs)

See docs/web.md.
"""
