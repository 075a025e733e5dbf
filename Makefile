# The two commands of the README. Both set up what is missing first.
.PHONY: setup demo test test-fast bench serve clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/juesuan render data/examples/*.yaml --format docx,pdf --out output/

# two test processes (pytest-xdist; this machine has 2 cores; a file's tests stay together and in
# order: test_web's share one server and build on each other), then, with nothing else running, the
# two files of tests that hold the machine's limits (open files, connections, worker time and memory)
# (the serial files named here, so the second run collects only them: tests/conftest.py SERIAL_MODULES)
SERIAL_TESTS = tests/test_web_limits.py tests/test_worker_limits.py
test: setup
	.venv/bin/ruff check generator tests benchmarks scripts
	.venv/bin/python -m pytest -q -n 2 --dist loadfile -m "not serial"
	.venv/bin/python -m pytest -q -n 2 --dist loadfile -m serial $(SERIAL_TESTS)

# the tests that start no other process (no CLI, LibreOffice, poppler, server or browser): under 2 minutes
test-fast: setup
	.venv/bin/python -m pytest -q -m "not slow"

# the web workspace on the examples (output/工作区, git-ignored); accounts are printed
serve: setup
	.venv/bin/python scripts/demo_workspace.py output/工作区
	.venv/bin/juesuan serve --data output/工作区

bench: setup
	.venv/bin/python benchmarks/render_speed.py
	.venv/bin/python benchmarks/check_speed.py
	.venv/bin/python benchmarks/cli_speed.py
	.venv/bin/python benchmarks/pdf_import_speed.py
	.venv/bin/python benchmarks/consolidate_speed.py

clean:
	rm -rf output/*.docx output/*.pdf output/*.html
