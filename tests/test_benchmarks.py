"""The benchmark scripts run end to end (on tiny settings)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_cae_table_script_produces_all_five_rows(mnist, tmp_path):
    out = tmp_path / "table.md"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "cae_table.py"),
            "--pretrain-epochs",
            "1",
            "--finetune-epochs",
            "1",
            "--train-size",
            "1000",
            "--val-size",
            "500",
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "TFDS_DATA_DIR": mnist},
    )
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ")]
    assert len(rows) == 1 + 6  # header, the random-init control and five models
    cae = rows[-1].split("|")
    assert "CAE" in cae[1]
    assert 0 <= float(cae[2]) <= 100
    assert float(cae[3]) == 1.14  # the paper's number beside ours


def test_readme_shows_the_committed_cae_table():
    results = (ROOT / "benchmarks" / "results" / "cae_table.md").read_text()
    rows = [line for line in results.splitlines() if line.startswith("| ")]
    assert len(rows) == 7 and "CAE" in rows[-1]
    readme = (ROOT / "README.md").read_text()
    for row in rows:
        assert row in readme, f"README lacks the measured row {row!r}"
