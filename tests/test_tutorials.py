"""The tutorials: ten notebooks, each in sync with its jupytext source, with the Colab
badge and the install cell, linked from the README, and each running top to bottom in
fast mode (KERAS_GEN_FAST=1) from its own folder."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

jupytext = pytest.importorskip("jupytext", reason="jupytext is in the [test] extra")
nbformat = pytest.importorskip("nbformat", reason="nbformat is in the [test] extra")

ROOT = Path(__file__).resolve().parents[1]
TUTORIALS = ROOT / "tutorials"
REPO = "keras-gen/keras_gen"
SOURCES = sorted(TUTORIALS.glob("[0-9][0-9]_*.py"))
NAMES = [p.stem for p in SOURCES]
# A notebook's ceiling in fast mode under the test suite's load (the other worker's
# tests share the two cores); alone each takes well under half of it (README table).
FAST_CEILING_S = 120
MAX_NOTEBOOK_BYTES = 1_500_000


def _build():
    path = TUTORIALS / "build.py"
    spec = importlib.util.spec_from_file_location("tutorials_build", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def test_ten_tutorials_each_with_its_notebook():
    numbers = [name[:2] for name in NAMES]
    assert numbers == [f"{i:02d}" for i in range(1, 11)], NAMES
    notebooks = sorted(p.stem for p in TUTORIALS.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks == NAMES, "each source has its notebook, no notebook is orphaned"


@pytest.mark.parametrize("name", NAMES)
def test_notebook_is_in_sync_with_its_source(name):
    source = jupytext.read(TUTORIALS / f"{name}.py")
    notebook = nbformat.read(TUTORIALS / f"{name}.ipynb", as_version=4)
    assert _cells(notebook) == _cells(source), (
        f"tutorials/{name}.ipynb differs from its source: run "
        f"`python tutorials/build.py {name[:2]}`"
    )
    nbformat.validate(notebook)


@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_say_how_they_were_made(name):
    path = TUTORIALS / f"{name}.ipynb"
    assert path.stat().st_size < MAX_NOTEBOOK_BYTES, f"{path.name} is too large"
    notebook = nbformat.read(path, as_version=4)
    made = notebook.metadata.get("keras_gen", {})
    assert made.get("outputs") in ("full", "fast (KERAS_GEN_FAST=1)"), made
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "every code cell was executed"
    printed = "".join(
        o.get("text", "") for o in code[1].outputs if o.get("output_type") == "stream"
    )
    assert "Mode: " + ("full" if made["outputs"] == "full" else "fast") in printed
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors, errors


@pytest.mark.parametrize("name", NAMES)
def test_badge_install_cell_and_fast_switch(name):
    cells = jupytext.read(TUTORIALS / f"{name}.py").cells
    assert cells[0].cell_type == "markdown"
    assert cells[0].source.startswith(f"# {name[:2]} · ")
    badge = (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        f"(https://colab.research.google.com/github/{REPO}/blob/main/tutorials/"
        f"{name}.ipynb)"
    )
    assert badge in cells[0].source
    assert cells[1].cell_type == "code"
    assert 'importlib.util.find_spec("keras_gen") is None' in cells[1].source
    assert f"git+https://github.com/{REPO}" in cells[1].source
    assert cells[2].cell_type == "code"
    assert 'FAST = os.environ.get("KERAS_GEN_FAST") == "1"' in cells[2].source
    assert cells[-1].cell_type == "markdown", "ends with what to read next"


@pytest.mark.parametrize("installed", [True, False])
def test_install_cell_installs_only_where_missing(installed):
    cell = jupytext.read(SOURCES[0]).cells[1].source
    found = object() if installed else None
    with (
        mock.patch.object(importlib.util, "find_spec", return_value=found) as spec,
        mock.patch.object(subprocess, "check_call") as call,
    ):
        exec(compile(cell, "install cell", "exec"), {})
    spec.assert_called_once_with("keras_gen")
    if installed:
        call.assert_not_called()
    else:
        (argv,), _ = call.call_args
        assert argv[:4] == [sys.executable, "-m", "pip", "install"]
        assert argv[-1] == f"git+https://github.com/{REPO}"


def test_install_cell_is_the_same_in_every_tutorial():
    install = {jupytext.read(p).cells[1].source for p in SOURCES}
    assert len(install) == 1, install


def test_readme_table_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    for name in NAMES:
        colab = (
            f"https://colab.research.google.com/github/{REPO}/blob/main/tutorials/"
            f"{name}.ipynb"
        )
        assert colab in readme, f"README's tutorial table lacks {name}'s Colab link"
        assert f"(tutorials/{name}.ipynb)" in readme, f"README lacks a link to {name}"
    rows = re.findall(r"^\| *\[?(\d\d)\b", readme, flags=re.M)
    assert sorted(set(rows) & {n[:2] for n in NAMES}) == [n[:2] for n in NAMES]


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_in_fast_mode(name, mnist):
    build = _build()
    notebook = build.notebook_of(TUTORIALS / f"{name}.py")
    seconds = build.execute(notebook, fast=True, timeout=FAST_CEILING_S)
    assert seconds < FAST_CEILING_S
    code = [c for c in notebook.cells if c.cell_type == "code"]
    printed = "".join(o.get("text", "") for o in code[1].outputs)
    assert "Mode: fast" in printed, "the notebook saw KERAS_GEN_FAST=1"


def test_build_refuses_an_unknown_number(capsys):
    with pytest.raises(SystemExit) as stop:
        _build().main(["99"])
    assert stop.value.code == 2
    assert "no tutorial source matches ['99']" in capsys.readouterr().err
