"""Registry fixtures: settings with no fixed model (serving follows the aliases) and model variants."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from listingguard.config import Settings


@pytest.fixture
def registry_settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings whose servers follow the registry (no ``model_dir``), polling the aliases quickly."""
    return Settings(home=tmp_path / "home", database_url=database_url, model_dir=None, alias_poll_seconds=0.1)


def variant(trained_model: Path, target: Path, version: str) -> Path:
    """A copy of the trained model under another version name (a different artifact, same weights)."""
    shutil.copytree(trained_model, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["model_version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target
