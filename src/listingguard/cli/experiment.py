"""``listingguard experiment …``: plan and simulate a paired online experiment against a 50/50 split.

Pure statistics: no database, no model. ``plan`` computes the days each design needs for the same alpha
and power; ``simulate`` runs whole experiments by Monte Carlo (``--aa``: with no effect, to measure the
false-positive rate under daily peeking). Every verb takes ``--json``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from listingguard.cli.common import compact_table, console, handle_errors
from listingguard.errors import Invalid

app = typer.Typer(
    help="Plan and simulate paired experiments (both arms score every listing) against a 50/50 split.",
    no_args_is_help=True,
)

Prevalence = Annotated[float, typer.Option("--prevalence", help="Share of listings that violate, e.g. 0.003.")]
PerDay = Annotated[int, typer.Option("--per-day", help="Listings screened a day.")]
Overlap = Annotated[
    float, typer.Option("--overlap", help="Share of A's confirmed catches that B flags too (0 to below 1).")
]
Effect = Annotated[
    float, typer.Option("--effect", help="Relative recall lift of B to detect (the MDE), e.g. 0.1 for +10%.")
]
RecallA = Annotated[float, typer.Option("--recall", help="Recall of A, the production arm.")]
Alpha = Annotated[float, typer.Option("--alpha", help="Two-sided type-I error.")]
Power = Annotated[float, typer.Option("--power", help="Power at the planned effect.")]
Spending = Annotated[str, typer.Option("--spending", help="Alpha spending: obrien-fleming or pocock.")]
Futility = Annotated[
    bool, typer.Option("--futility/--no-futility", help="Stop early when B is unlikely to prove better.")
]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")]


def _scenario(**kwargs: Any) -> Any:
    from listingguard.evaluation.experiments.boundaries import SPENDINGS
    from listingguard.evaluation.experiments.plan import Scenario

    if kwargs["spending"] not in SPENDINGS:
        raise Invalid(f"--spending must be one of {', '.join(SPENDINGS)}, not {kwargs['spending']!r}")
    try:
        return Scenario(**kwargs).check()
    except ValueError as exc:
        raise Invalid(str(exc)) from None


def _emit(data: dict[str, Any]) -> None:
    console.print_json(json.dumps(data, ensure_ascii=False))


@app.command("plan")
@handle_errors
def plan(
    prevalence: Prevalence,
    per_day: PerDay,
    overlap: Overlap,
    effect: Effect = 0.10,
    recall: RecallA = 0.6,
    alpha: Alpha = 0.05,
    power: Power = 0.8,
    looks: Annotated[
        int | None, typer.Option("--looks", help="Equally spaced looks over the horizon (default: one a day).")
    ] = None,
    spending: Spending = "obrien-fleming",
    futility: Futility = True,
    as_json: Json = False,
) -> None:
    """Expected days to a decision for the paired design and for a 50/50 split, same alpha and power."""
    from listingguard.evaluation.experiments import plan as planning

    scenario = _scenario(
        prevalence=prevalence,
        per_day=per_day,
        overlap=overlap,
        recall_a=recall,
        lift=effect,
        alpha=alpha,
        power=power,
        looks=looks,
        spending=spending,
        futility=futility,
    )
    try:
        result = planning.plan(scenario)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    if as_json:
        _emit(result.to_dict())
        return
    table = compact_table(
        "design",
        "events/day",
        "B share",
        "fixed n",
        "max n",
        "looks",
        "max days",
        "mean days",
        "mean days H0",
        "power",
        title=f"Paired experiment vs 50/50 split (+{effect:.0%} recall, α={alpha}, power {power})",
    )
    for row in (result.paired, result.split):
        table.add_row(
            row.name,
            f"{row.events_per_day:,.1f}",
            f"{row.p1:.3f}",
            f"{row.fixed_events:,.0f}",
            f"{row.max_events:,.0f}",
            str(len(row.look_days)),
            f"{row.max_days:.1f}",
            f"{row.expected_days:.2f}",
            f"{row.expected_days_null:.2f}",
            f"{row.power:.3f}",
        )
    console.print(table)
    console.print(f"speed-up (expected days, split / paired): [bold]{result.speedup:.1f}×[/]")


@app.command("simulate")
@handle_errors
def simulate(
    prevalence: Prevalence,
    per_day: PerDay,
    overlap: Overlap,
    runs: Annotated[int, typer.Option("--runs", min=1, max=200_000, help="Experiments to simulate per design.")],
    seed: Annotated[int, typer.Option("--seed", min=0, max=2**32 - 1, help="Seed of the simulation.")] = 0,
    aa: Annotated[
        bool, typer.Option("--aa", help="A/A: the arms are identical; report the false-positive rate.")
    ] = False,
    effect: Effect = 0.10,
    recall: RecallA = 0.6,
    alpha: Alpha = 0.05,
    power: Power = 0.8,
    spending: Spending = "obrien-fleming",
    futility: Futility = True,
    as_json: Json = False,
) -> None:
    """Monte Carlo of whole experiments with daily looks, both designs: days to a decision, power, speed-up.

    With --aa the false-positive rate is the share of runs that declared either arm better.
    """
    from listingguard.evaluation.experiments import simulate as simulation

    scenario = _scenario(
        prevalence=prevalence,
        per_day=per_day,
        overlap=overlap,
        recall_a=recall,
        lift=effect,
        alpha=alpha,
        power=power,
        looks=None,
        spending=spending,
        futility=futility,
    )
    try:
        result = simulation.compare(scenario, runs=runs, seed=seed, aa=aa)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    out = result.to_dict(seed=seed)
    if as_json:
        _emit(out)
        return
    title = "A/A (no effect)" if aa else f"+{effect:.0%} recall"
    table = compact_table(
        "design",
        "median days",
        "mean days",
        "p90 days",
        "max days",
        "B better",
        "A better",
        title=f"{runs:,} simulated experiments per design, daily looks, {title}",
    )
    for name in ("paired", "split"):
        s: dict[str, Any] = out[name]  # type: ignore[assignment]
        table.add_row(
            name,
            f"{s['median_days']:g}",
            f"{s['mean_days']:.2f}",
            f"{s['p90_days']:g}",
            str(s["max_days"]),
            f"{s['b_better']:.3f}",
            f"{s['a_better']:.3f}",
        )
    console.print(table)
    console.print(f"speed-up (median days, split / paired): [bold]{out['speedup']:.1f}×[/]")
    if aa:
        console.print(
            f"false-positive rate with daily peeking: paired {out['false_positive_rate']:.4f}, "
            f"split {out['false_positive_rate_split']:.4f} (alpha {alpha})"
        )
