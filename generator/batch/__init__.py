"""Batch rendering: every unit of a folder (or of a manifest file) checked and rendered in
parallel worker processes.

    juesuan batch data/units/ --out output/2024/ --format docx,pdf [--jobs N] [--force]

One unit never stops the others: a unit that cannot be read, fails its checks or crashes the
renderer (even a worker process dying) is recorded with its reason and the batch goes on. At
the end a summary is printed and ``batch-report.html`` / ``batch-report.csv`` are written beside
the outputs. Exit code: 0 all rendered (or unchanged), 1 some failed their checks, 2 some could
not be read (or the program failed on them), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).

Files are never half-written: a worker renders a unit into its own hidden staging folder under
the output folder (``pipeline.render`` writes each file to a temporary name and renames it), and
only the main process moves finished files into place, after first recording them (name, size,
sha256) and the unit's content hash in ``.juesuan-batch.json``. Running the batch again skips a
unit whose hash (input bytes, last year's file, templates, the generator's source, the options
and the output name) is unchanged and whose recorded files are all present and intact; so a
batch killed at any point (even ``kill -9``) finishes by running it again, and a file that was
moved into place before the kill is not rendered twice. Staging folders and ``.*.part`` files
left by a killed run are removed when the next run starts (under a lock, so two batches never
share an output folder).

Workers are forked when that is safe — this process has not loaded WeasyPrint (so no Pango or
fontconfig state is copied) and runs no other thread — and spawned otherwise (forked workers
once measured 15–20 % faster per unit here; no longer: 100 units took 65–68 s forked, 68.5 s
spawned, benchmarks/batch_speed.py --start-method). Each
worker renders many units, collects the cyclic garbage WeasyPrint leaves after each,
reports its peak memory, and retires itself (a fresh one replaces it) should its memory still
grow past ``RETIRE_RSS_MB``.

One module per role; this package re-exports the names other code uses (``from generator
import batch``; ``batch.run_batch`` …):

  records.py      statuses, exit codes, ``Job`` (a unit as planned), ``Record``, ``Outcome``
  planning.py     discovery (folder, manifest) and the plan: each unit read, named, hashed
  fingerprint.py  the content hash that lets an unchanged unit be skipped
  state.py        the output folder: ``.juesuan-batch.json``, the lock, staging, publishing
  worker.py       the worker process (renders units, collects garbage, retires)
  pool.py         the start method and feeding the workers; a dead worker costs one unit
  cluster.py      --cluster: the same units as Dask tasks (their data travels, their files come back)
  remote.py       the Dask worker's side: a render process per thread, attempts counted
  progress.py     the progress line / log lines on stderr
  report.py       ``batch-report.html`` / ``.csv`` and the printed summary
  messages.py     problems, findings and crashes as one line each
  runner.py       ``run_batch``: all of the above in order
  command.py      ``juesuan batch``'s arguments, ``run(args)`` and ``main`` (``python -m generator.batch``)

The package does not import ``generator.cli`` (the Chinese argparse parser is ``cli_parser``);
``cli`` imports this package only when the command line may be ``batch``.
"""
from __future__ import annotations

from ..load.unit_loader import READERS
from .command import add_command, main, run
from .fingerprint import PACKAGE, ROOT, TEMPLATES, environment_digest, options_digest, unit_digest
from .planning import ISSUE_SUFFIXES, assign_stems, discover, plan, unit_suffixes
from .pool import default_start_method
from .progress import Progress
from .records import (CHECKS_FAILED, CRASHED, EXIT_CHECKS, EXIT_FOR, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK,
                      EXIT_TERMINATED, FAILED, INTERRUPTED, RENDERED, SKIPPED, STATUSES, UNREADABLE, BatchError, Job, Outcome,
                      Record)
from .report import CSV_COLUMNS, REPORT_CSV, REPORT_HTML, REPORT_TEMPLATES, summary, write_reports
from .runner import run_batch
from .state import LOCK_NAME, STAGING_NAME, STATE_FORMAT, STATE_NAME
from .worker import RETIRE_RSS_MB, render_unit

__all__ = [
    "READERS", "add_command", "main", "run", "PACKAGE", "ROOT", "TEMPLATES", "environment_digest",
    "options_digest", "unit_digest", "ISSUE_SUFFIXES", "assign_stems", "discover", "plan", "unit_suffixes",
    "default_start_method", "Progress", "CHECKS_FAILED", "CRASHED", "EXIT_CHECKS", "EXIT_FOR", "EXIT_INPUT",
    "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_TERMINATED", "FAILED", "INTERRUPTED", "RENDERED", "SKIPPED", "STATUSES", "UNREADABLE",
    "BatchError", "Job", "Outcome", "Record", "CSV_COLUMNS", "REPORT_CSV", "REPORT_HTML", "REPORT_TEMPLATES",
    "summary", "write_reports", "run_batch", "LOCK_NAME", "STAGING_NAME", "STATE_FORMAT", "STATE_NAME",
    "RETIRE_RSS_MB", "render_unit",
]
