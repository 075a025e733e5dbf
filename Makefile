# The two commands of the README. Both set up what is missing first.
.PHONY: setup demo test bench clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/juesuan render data/examples/*.yaml --format docx,pdf --out output/

test: setup
	.venv/bin/python -m pytest -q

bench: setup
	.venv/bin/python benchmarks/render_speed.py
	.venv/bin/python benchmarks/check_speed.py
	.venv/bin/python benchmarks/cli_speed.py

clean:
	rm -rf output/*.docx output/*.pdf output/*.html
