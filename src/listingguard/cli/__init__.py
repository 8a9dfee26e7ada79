"""The ``listingguard`` command line. Every command has ``--help``; errors exit non-zero with one line.

``listingguard --help`` and ``listingguard COMMAND --help`` import this package and every command module,
so command modules import only the standard library, Typer, Rich and ``cli.common`` at the top; each
command imports the domain modules it runs (scikit-learn, the tokenisers, SQLAlchemy, uvicorn,
matplotlib, ...) in its body. ``tests/cli/test_startup.py`` checks that ``--help`` stays light.
"""

from __future__ import annotations

import typer

from listingguard.cli import backtest, data, demo, experiment, models, policy, registry, review, server, users

app = typer.Typer(
    name="listingguard",
    help="Content moderation for second-hand marketplaces: rules, one ML detector per topic, human review.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("demo")(demo.demo)
app.command("simulate")(data.simulate)
app.command("ingest")(data.ingest)
app.command("train")(models.train)
app.command("score")(models.score)
app.command("evaluate")(models.evaluate)
app.command("thresholds")(policy.thresholds)
app.command("serve")(server.serve)
app.command("migrate")(server.migrate)
app.command("simulate-reviewers")(review.simulate_reviewers)
app.add_typer(users.app, name="users")
app.add_typer(registry.app, name="models")
app.add_typer(backtest.app, name="backtest")
app.add_typer(experiment.app, name="experiment")


def main() -> None:
    """Console-script entry point."""
    app()
