"""The ``listingguard`` command line. Every command has ``--help``; errors exit non-zero with one line."""

from __future__ import annotations

import typer

from listingguard.cli import backtest, data, demo, models, policy, registry, review, server, users

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


def main() -> None:
    """Console-script entry point."""
    app()
