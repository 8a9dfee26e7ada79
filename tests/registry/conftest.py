"""Registry test helpers: model variants (``registry_settings`` is in the top-level conftest)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path


def variant(trained_model: Path, target: Path, version: str) -> Path:
    """A copy of the trained model under another version name (a different artifact, same weights)."""
    shutil.copytree(trained_model, target)
    manifest = json.loads((target / "manifest.json").read_text())
    manifest["model_version"] = version
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target
