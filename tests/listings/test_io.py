"""Reading listing files: every bad record reported with line and field; good records still read."""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from listingguard.errors import Invalid
from listingguard.listings.io import MAX_LINE_BYTES, read_listings
from tests.conftest import listing


def read_all(path: Path, **kwargs: object) -> tuple[list[str], list[str]]:
    ids, errors = [], []
    for chunk in read_listings(path, chunk_size=3, **kwargs):  # type: ignore[arg-type]
        ids.extend(x.id for x in chunk.listings)
        errors.extend(str(e) for e in chunk.errors)
    return ids, errors


class TestJsonLines:
    def test_bad_lines_are_reported_and_good_lines_kept(self, tmp_path: Path) -> None:
        path = tmp_path / "in.jsonl"
        lines = [
            json.dumps(listing(id="a")).encode(),
            b'{"id": "b", "title": ',
            json.dumps(listing(id="c", price=-5)).encode(),
            b"\xff\xfe not utf-8",
            b"[1, 2]",
            b"",
            json.dumps(listing(id="d")).encode(),
        ]
        path.write_bytes(b"\n".join(lines) + b"\n")
        ids, errors = read_all(path)
        assert ids == ["a", "d"]
        assert errors[0].startswith("line 2: malformed JSON")
        assert errors[1].startswith("line 3, field price:")
        assert errors[2].startswith("line 4: is not valid UTF-8")
        assert errors[3].startswith("line 5: expected a JSON object")

    def test_oversized_line_is_skipped_without_loading_it(self, tmp_path: Path) -> None:
        path = tmp_path / "big.jsonl"
        with path.open("wb") as fh:
            fh.write(b'{"id": "x", "title": "' + b"a" * (MAX_LINE_BYTES + 10) + b'"}\n')
            fh.write(json.dumps(listing(id="ok")).encode() + b"\n")
        ids, errors = read_all(path)
        assert ids == ["ok"]
        assert "longer than" in errors[0]

    def test_unknown_topics_suggest_the_closest(self, tmp_path: Path) -> None:
        path = tmp_path / "l.jsonl"
        path.write_text(json.dumps(listing(labels=["weapon"])) + "\n")
        _, errors = read_all(path, known_topics=["weapons", "drugs"])
        assert "did you mean 'weapons'" in errors[0]

    def test_gzip(self, tmp_path: Path) -> None:
        import gzip

        path = tmp_path / "l.jsonl.gz"
        with gzip.open(path, "wt") as fh:
            fh.write(json.dumps(listing(id="g")) + "\n")
        assert read_all(path)[0] == ["g"]


def test_csv_with_lists_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_text(
        "id,title,description,price,category,seller_id,created_at,image_refs,labels\n"
        "a,Nike shoes,,1000,shoes,s1,2026-11-01T00:00:00Z,x.jpg|y.jpg,\n"
        "b,Bad price,,abc,shoes,s1,2026-11-01T00:00:00Z,,weapons\n",
        encoding="utf-8",
    )
    chunks = list(read_listings(path))
    assert [x.id for c in chunks for x in c.listings] == ["a"]
    assert chunks[0].listings[0].image_refs == ["x.jpg", "y.jpg"]
    assert "line 3, field price" in str(chunks[0].errors[0])


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "l.parquet"
    rows = [listing(id="p1"), listing(id="p2", price=-1)]
    pq.write_table(pa.Table.from_pylist(rows), path)
    chunks = list(read_listings(path))
    assert [x.id for c in chunks for x in c.listings] == ["p1"]
    assert "row" not in str(chunks[0].errors[0]) and "price" in str(chunks[0].errors[0])


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hi")
    with pytest.raises(Invalid, match="unsupported file type"):
        list(read_listings(tmp_path / "x.txt"))
    with pytest.raises(Invalid, match="no such file"):
        list(read_listings(tmp_path / "nope.jsonl"))
