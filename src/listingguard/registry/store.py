"""The artifact store: where registered models, rule sets and policies live, behind an fsspec URL.

A local directory under ``LISTINGGUARD_HOME`` by default (``file://…/artifacts``); any fsspec URL works
(``s3://bucket/prefix`` with ``s3fs`` installed, ``memory://`` in tests). Layout::

    <root>/models/<version>/manifest.json, arrays.npz, ...
    <root>/rules/<version>/<topic>.yaml, _lists.yaml
    <root>/policies/<version>/policy.yaml

An artifact is written file by file and recorded in the database only afterwards, so a version exists
exactly when its files are complete; its SHA-256 (over every file's name and bytes) is kept with the row
and checked again on every load, so a file changed or truncated behind the registry's back is refused.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

import fsspec
from fsspec.implementations.local import LocalFileSystem

from listingguard.errors import Invalid, ModelError

KINDS = ("models", "rules", "policies")
BLOCK = 1 << 20


def files_sha256(files: Iterable[tuple[str, bytes]]) -> str:
    """SHA-256 over ``(relative name, bytes)`` pairs in name order: the identity of an artifact's content."""
    digest = hashlib.sha256()
    for name, data in sorted(files, key=lambda item: item[0]):
        digest.update(name.encode("utf-8"))
        digest.update(b"\0")
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def directory_files(directory: Path, pattern: str = "*") -> list[tuple[str, bytes]]:
    """The regular files directly in ``directory`` matching ``pattern``, as ``(name, bytes)``."""
    if not directory.is_dir():
        raise Invalid(f"{directory}: not a directory")
    return [(p.name, p.read_bytes()) for p in sorted(directory.glob(pattern)) if p.is_file()]


class ArtifactStore:
    """Immutable artifacts under one fsspec root; see the module docstring for the layout."""

    def __init__(self, url: str, *, cache_dir: Path) -> None:
        self.url = url.rstrip("/")
        try:
            self.fs, self.root = fsspec.core.url_to_fs(self.url)
        except (ValueError, ImportError) as exc:
            raise Invalid(
                f"artifact store {url!r} cannot be opened ({exc}); use a directory, file://PATH, or an fsspec "
                "URL whose filesystem is installed (e.g. s3:// needs `pip install s3fs`)"
            ) from None
        self.cache_dir = cache_dir

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def location(self, kind: str, version: str) -> str:
        """The URI of an artifact (what the registry records)."""
        if kind not in KINDS:
            raise ValueError(kind)
        return f"{self.url}/{kind}/{version}"

    def _path(self, uri: str) -> str:
        if not uri.startswith(self.url + "/"):
            raise ModelError(f"artifact {uri} is not in this store ({self.url}); set LISTINGGUARD_ARTIFACT_STORE")
        return self.root.rstrip("/") + uri[len(self.url) :]

    def put(self, kind: str, version: str, files: list[tuple[str, bytes]]) -> str:
        """Write an artifact's files (idempotent for identical content) and return its URI."""
        uri = self.location(kind, version)
        base = self._path(uri)
        self.fs.makedirs(base, exist_ok=True)
        for name, data in files:
            with self.fs.open(f"{base}/{name}", "wb") as fh:
                fh.write(data)
        return uri

    def read(self, uri: str) -> list[tuple[str, bytes]]:
        """Every file of the artifact at ``uri`` as ``(name, bytes)``."""
        base = self._path(uri)
        if not self.fs.exists(base):
            raise ModelError(f"artifact {uri} is missing from the store; restore it or register the model again")
        out = []
        for path in sorted(self.fs.ls(base, detail=False)):
            name = str(path).rstrip("/").rsplit("/", 1)[-1]
            if self.fs.isfile(path):
                with self.fs.open(path, "rb") as fh:
                    out.append((name, fh.read()))
        return out

    def checked_directory(self, uri: str, expected_sha256: str) -> Path:
        """A local directory holding the artifact, after checking its files against ``expected_sha256``.

        A local store is read in place; a remote one is copied into the cache first (and the copy is
        checked, so a damaged cache is caught as well).
        """
        files = self.read(uri)
        actual = files_sha256(files)
        if actual != expected_sha256:
            raise ModelError(
                f"artifact {uri} does not match its registered checksum (expected {expected_sha256[:12]}…, "
                f"found {actual[:12]}…): it was modified or truncated. Restore it from a backup or register "
                "a new version; it will not be loaded."
            )
        if self.is_local:
            return Path(self._path(uri))
        target = self.cache_dir / expected_sha256
        if not target.is_dir():
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=".tmp-artifact-", dir=self.cache_dir))
            for name, data in files:
                (tmp / name).write_bytes(data)
            try:
                tmp.rename(target)
            except OSError:  # another process cached it first
                shutil.rmtree(tmp, ignore_errors=True)
        return target
