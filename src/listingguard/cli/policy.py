"""``listingguard thresholds``: propose per-topic thresholds for a target precision, as a new policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from listingguard.cli.common import compact_table, console, handle_errors
from listingguard.cli.models import load_listings
from listingguard.errors import Invalid

if TYPE_CHECKING:
    from listingguard.policy import thresholds as solver


@handle_errors
def thresholds(
    model: Annotated[Path, typer.Option("--model", "-m", help="Model directory whose scores the thresholds apply to.")],
    data: Annotated[
        list[Path], typer.Option("--data", "-d", help="Labelled listings, recent and unseen by the model.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the new policy file (must not exist).")],
    precision: Annotated[
        float, typer.Option(min=0.01, max=0.999, help="Precision the review queue should have per topic.")
    ] = 0.9,
    hide_precision: Annotated[
        float, typer.Option(min=0.01, max=0.9999, help="Precision required to hide without a person.")
    ] = 0.99,
    policy: Annotated[
        Path | None, typer.Option("--policy", help="Current policy (default: the configured one).")
    ] = None,
    min_positives: Annotated[
        int, typer.Option("--min-positives", min=1, help="Violations a topic needs before its thresholds move.")
    ] = 20,
    label_source: Annotated[
        str, typer.Option("--label-source", help="auto, labels or simulator (meta.sim.truth).")
    ] = "auto",
) -> None:
    """Propose per-topic `review` and `hide` thresholds for a target precision and write a new policy version.

    The review threshold is the lowest calibrated probability at which flagged listings are still at least
    --precision violations on the labelled data; hide uses --hide-precision. Topics with too few
    violations, or where no threshold reaches the target, keep their thresholds (the table says which).
    Use data the model was not trained on, or the thresholds will promise more than they deliver.
    """
    from listingguard.cli.topics import check_model
    from listingguard.cli.truth import truth_matrix
    from listingguard.config import get_settings
    from listingguard.detection.model import ModerationModel
    from listingguard.listings.batch import ListingBatch
    from listingguard.policy import thresholds as solver
    from listingguard.policy.service import dump_policy, load_policy, parse_policy

    if out.exists():
        raise Invalid(f"{out} already exists; policy versions are never overwritten, choose a new file name")
    current = load_policy(policy or get_settings().policy_path)
    loaded = ModerationModel.load(model)
    check_model(loaded, current)
    known = sorted(set(current.topics) | set(loaded.topics))
    listings, _ = load_listings(data, strict=False, what="threshold", known_topics=known)
    batch = ListingBatch.from_listings(listings)
    truth, truth_name = truth_matrix(batch, loaded.topics, [x.meta for x in listings], label_source)
    with console.status("scoring"):
        scores = loaded.predict_proba(batch)
    proposals = solver.propose(
        truth,
        scores,
        loaded.topics,
        current.spec,
        precision=precision,
        hide_precision=hide_precision,
        min_positives=min_positives,
    )
    note = (
        f"thresholds for precision {precision:g} (hide {hide_precision:g}) from {len(batch):,} labelled listings "
        f"({truth_name}) scored by {loaded.version}"
    )
    new_spec = solver.apply(current.spec, proposals, parent=current.version, note=note)
    raw = dump_policy(new_spec)
    new_policy = parse_policy(raw, str(out))  # validates, and gives the content-hash version
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(raw)
    report = out.with_suffix(".thresholds.json")
    report.write_text(
        json.dumps(
            {
                "policy_version": new_policy.version,
                "parent": current.version,
                "model": loaded.version,
                "precision": precision,
                "hide_precision": hide_precision,
                "rows": len(batch),
                "truth": truth_name,
                "topics": [p.to_dict() for p in proposals],
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    _print(proposals, precision, hide_precision)
    console.print(
        f"policy [bold]{new_policy.version}[/] (parent {current.version}) written to {out}; details in {report.name}\n"
        f"review it, then put it in service with LISTINGGUARD_POLICY_PATH={out}"
    )


def _print(proposals: list[solver.TopicProposal], precision: float, hide_precision: float) -> None:
    table = compact_table(
        "topic",
        "violations",
        "review",
        "P / R",
        "hide",
        "P / R",
        "note",
        title=f"proposed thresholds (review at precision ≥ {precision:g}, hide at ≥ {hide_precision:g})",
        caption="P / R = precision and recall of the new threshold on the given data",
        wrap=("note",),
    )

    def move(old: float | None, new: float | None) -> str:
        show = "never" if new is None else f"{new:.3f}"
        return show if old == new else f"{'never' if old is None else f'{old:.3f}'} → {show}"

    def pr(p: float | None, r: float | None) -> str:
        return "–" if p is None or r is None else f"{p:.2f} / {r:.2f}"

    for p in proposals:
        table.add_row(
            p.topic,
            str(p.positives),
            move(p.old_review, p.review),
            pr(p.review_precision, p.review_recall),
            move(p.old_hide, p.hide),
            pr(p.hide_precision, p.hide_recall),
            p.note,
        )
    console.print(table)
