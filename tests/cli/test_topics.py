"""Topics are declared by the policy: a typo in the labels never becomes a detector (issue: a mislabelled
``nonsense_topic`` became a live detector that hid listings)."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_cli import run, write_jsonl


def relabelled(records: list[dict[str, Any]], old: str, new: str, n: int = 2000) -> list[dict[str, Any]]:
    out = copy.deepcopy(records[:n])
    for record in out:
        record["labels"] = [new if t == old else t for t in record.get("labels") or []]
    return out


def test_train_refuses_an_undeclared_label(tmp_path: Path, sim_records) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", relabelled(sim_records, "counterfeit", "counterfiet"))
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"))
    assert result.exit_code == 1, result.output
    assert "unknown topic 'counterfiet' (did you mean 'counterfeit'?)" in result.output
    assert "--new-topic counterfiet" in result.output and "listings)" in result.output
    assert not (tmp_path / "m").exists()


def test_train_refuses_an_undeclared_topics_option(tmp_path: Path, sim_records) -> None:
    data = write_jsonl(tmp_path / "train.jsonl", sim_records[:500])
    result = run("train", "--data", str(data), "--out", str(tmp_path / "m"), "--topics", "wepons")
    assert result.exit_code == 1 and "unknown topic 'wepons' (did you mean 'weapons'?)" in result.output


def test_new_topic_is_explicit_and_recorded(tmp_path: Path, sim_records) -> None:
    records = relabelled(sim_records, "counterfeit", "fake_brand")
    data = write_jsonl(tmp_path / "train.jsonl", records[:1200])
    more = write_jsonl(tmp_path / "more.jsonl", [*records[1200:], '{"broken'])
    out = tmp_path / "m"
    args = ("train", "--data", str(data), "--data", str(more), "--out", str(out), "--topics", "fake_brand")
    result = run(*args, "--no-refit", "--new-topic", "fake_brand")
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    # the true number of rows read from each file (it used to say 0)
    assert [s["rows"] for s in manifest["training_data"]["sources"]] == [1200, 800]
    assert manifest["topics"] == ["fake_brand"] and manifest["new_topics"] == ["fake_brand"]
    assert manifest["policy_at_training"].startswith("policy-")
    scored = run("score", "--model", str(out), "-i", str(data), "-o", str(tmp_path / "s.jsonl"))
    assert scored.exit_code == 0, scored.output
    assert "'fake_brand' was added with --new-topic" in scored.output
    again = run("train", "--data", str(data), "--out", str(tmp_path / "m2"), "--new-topic", "weapons")
    assert again.exit_code == 1 and "already declares it" in again.output


@pytest.mark.parametrize("command", ["score", "evaluate", "thresholds"])
def test_a_model_with_undeclared_topics_is_refused(
    tmp_path: Path, trained_model: Path, sim_records, command: str
) -> None:
    policy = tmp_path / "policy.yaml"  # a policy that does not declare `weapons`, which the model scores
    policy.write_text("name: narrow\ntopics:\n  drugs: {severity: 1.0, review: 0.3, hide: 0.95}\n")
    data = write_jsonl(tmp_path / "in.jsonl", sim_records[:50])
    out = tmp_path / "out"
    args = {
        "score": ["-i", str(data), "-o", str(tmp_path / "s.jsonl")],
        "evaluate": ["--data", str(data), "--out", str(out)],
        "thresholds": ["--data", str(data), "--out", str(tmp_path / "p.yaml")],
    }[command]
    result = run(command, "--model", str(trained_model), "--policy", str(policy), *args)
    assert result.exit_code == 1, result.output
    assert "has topics the policy" in result.output and "unknown topic 'weapons'" in result.output
    assert not (tmp_path / "s.jsonl").exists() and not out.exists() and not (tmp_path / "p.yaml").exists()
