# jazzgen: `make demo` sets up and runs the main job, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint setup system-deps bench clean

demo: setup
	mkdir -p out
	$(BIN)/jazzgen generate --tune blues --choruses 2 --bass -o out/solo.mid --png

test: setup system-deps lint
	$(BIN)/python -m pytest -q

# The architecture's contracts (pyproject.toml [tool.importlinter]) and ruff's lint and format checks.
lint: setup
	$(BIN)/lint-imports
	$(BIN)/ruff check jazzgen tests bench fuzz data
	$(BIN)/ruff format --check jazzgen tests bench fuzz data

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV) || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

# FluidSynth and a General MIDI soundfont render audio in --wav and in the audio tests.
system-deps:
	@if ! command -v fluidsynth >/dev/null || [ ! -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fluidsynth fluid-soundfont-gm >/dev/null; \
	  else echo "note: install fluidsynth and fluid-soundfont-gm for the audio tests (they skip without)"; fi; \
	fi

bench: setup
	$(BIN)/python bench/bench_prepare.py

clean:
	rm -rf $(VENV) out .pytest_cache
