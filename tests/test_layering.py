"""Each package depends only on the packages below it (docs/architecture.md, "Layering").

Read from the source with ``ast``, so lazy imports inside functions count too; imports under
``if TYPE_CHECKING:`` do not (they name types for mypy and load nothing at run time).
"""

from __future__ import annotations

import ast
from pathlib import Path

import listingguard

ROOT = Path(listingguard.__file__).parent

# Lowest first. A package may import itself and anything in an earlier tier, nothing in its own tier or later.
TIERS: tuple[tuple[str, ...], ...] = (
    ("errors",),
    ("config", "inputs", "state"),
    ("routing",),
    ("db",),
    ("deps", "audit", "text", "simulator"),
    # pure statistics (numpy, scipy, scikit-learn only): the detectors' training reports its hold-out metrics
    ("evaluation.metrics", "listings"),
    ("users", "rules"),
    ("policy",),
    ("detection",),
    ("screening",),
    ("system", "registry"),
    ("review",),
    ("intake",),
    ("evaluation",),
    ("release",),
    ("web", "models"),
    ("migrations",),
    ("app",),
    ("workers",),
    ("cli",),
    ("__main__",),
)
TIER = {name: i for i, names in enumerate(TIERS) for name in names}


def unit(parts: tuple[str, ...]) -> str:
    """The layering unit of a module path inside the package (``evaluation.metrics`` is a unit of its own)."""
    if parts[:2] == ("evaluation", "metrics"):
        return "evaluation.metrics"
    return parts[0]


def runtime_imports(tree: ast.Module) -> list[tuple[int, str]]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped.update(id(child) for statement in node.body for child in ast.walk(statement))
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "listingguard":
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found.extend((node.lineno, n) for n in names)
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "listingguard")
    return found


def violations() -> list[str]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = rel.parts if rel.parts[-1] != "__init__" else rel.parts[:-1]
        if not parts:
            continue
        here = unit(parts)
        for line, module in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = tuple(module.split(".")[1:])
            if not target or (target[0] not in TIER and unit(target) not in TIER):
                continue  # ``from listingguard import __version__`` and the like
            there = unit(target)
            if there == here or (there == "evaluation" and here == "evaluation.metrics"):
                continue
            if TIER[there] >= TIER[here]:
                out.append(f"{path.relative_to(ROOT)}:{line} ({here}) imports {module} ({there})")
    return sorted(set(out))


def test_every_package_has_a_tier() -> None:
    packages = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    modules = {p.stem for p in ROOT.glob("*.py") if p.stem != "__init__"}
    assert (packages | modules) - set(TIER) == set()


def test_packages_depend_only_downward() -> None:
    assert violations() == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import listingguard.app\n"
        "def f():\n    from listingguard.review import service\n"
    )
    assert [m for _, m in runtime_imports(tree)] == ["listingguard.review", "listingguard.review.service"]
