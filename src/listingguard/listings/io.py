"""Reading and writing listing files: JSON Lines (optionally gzipped), Parquet and CSV.

Files can be far larger than memory, so readers yield chunks. Every bad record is reported with its line
(or row) number, the field and the reason, and the good records of the same chunk are still returned; the
caller decides whether one bad line rejects the whole file (``--strict``).
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import gzip
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import ValidationError

from listingguard.errors import Invalid
from listingguard.listings.schemas import ListingIn

MAX_LINE_BYTES = 1_048_576
LISTING_FIELDS = tuple(ListingIn.model_fields)
SUPPORTED_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".parquet", ".csv")


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why one record of a file was rejected."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}"
        return f"{where}, field {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


@dataclass(slots=True)
class Chunk:
    """A slice of a file: the valid listings, the errors, and how far into the file it reaches."""

    listings: list[ListingIn] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    errors: list[RecordError] = field(default_factory=list)
    position: int = 0


def file_format(path: Path) -> str:
    """Return ``jsonl``, ``parquet`` or ``csv`` from the file name, or raise a clear error."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    if name.endswith(".csv"):
        return "csv"
    raise Invalid(f"{path}: unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}")


def check_path(path: Path) -> None:
    """Refuse a path that is missing or a directory, with a message that says so."""
    if not path.exists():
        raise Invalid(f"{path}: no such file")
    if path.is_dir():
        raise Invalid(f"{path}: is a directory, expected a listing file")


def input_size(path: Path) -> int:
    """The total the progress bar counts towards: bytes for text files, rows for Parquet."""
    check_path(path)
    if file_format(path) == "parquet":
        try:
            return int(pq.ParquetFile(path).metadata.num_rows)
        except (pa.ArrowInvalid, OSError) as exc:
            raise Invalid(f"{path}: not a readable Parquet file ({exc})") from exc
    return path.stat().st_size


def validation_errors(line: int, exc: ValidationError) -> list[RecordError]:
    """Turn a pydantic error into one ``RecordError`` per failing field."""
    errors = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"])
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = f"is not a listing field (fields: {', '.join(LISTING_FIELDS)})"
        elif err["type"] == "missing":
            message = "is required"
        errors.append(RecordError(line, loc, message))
    return errors


def unknown_topic(topic: str, known: Iterable[str]) -> str:
    """The message for a topic nobody declared, with the closest declared name for a typo."""
    names = sorted(known)
    close = difflib.get_close_matches(topic, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown topic {topic!r}{hint}; known topics: {', '.join(names)}"


def check_topics(listing: ListingIn, line: int, known_topics: Iterable[str] | None) -> list[RecordError]:
    """Labels must name topics the policy knows; suggest the closest name for a typo."""
    if known_topics is None or not listing.labels:
        return []
    known = sorted(known_topics)
    return [RecordError(line, "labels", unknown_topic(topic, known)) for topic in listing.labels if topic not in known]


def parse_json_line(raw: bytes, line: int) -> ListingIn | list[RecordError]:
    """Decode, parse and validate one JSON Lines record."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [
            RecordError(line, "", f"is not valid UTF-8 (bad byte at offset {exc.start}); re-encode the file as UTF-8")
        ]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [RecordError(line, "", f"malformed JSON: {exc.msg} at column {exc.colno}")]
    if not isinstance(data, dict):
        return [RecordError(line, "", f"expected a JSON object per line, got {type(data).__name__}")]
    try:
        return ListingIn.model_validate(data)
    except ValidationError as exc:
        return validation_errors(line, exc)


def _read_jsonl(path: Path, chunk_size: int, known_topics: Iterable[str] | None) -> Iterator[Chunk]:
    with path.open("rb") as raw_file, gzip.open(raw_file) if path.name.lower().endswith(".gz") else raw_file as fh:
        chunk = Chunk()
        line_no = 0
        while True:
            raw = fh.readline(MAX_LINE_BYTES + 1)
            if not raw:
                break
            line_no += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while True:  # skip the rest of the oversized line without holding it in memory
                    rest = fh.readline(MAX_LINE_BYTES)
                    if not rest or rest.endswith(b"\n"):
                        break
                chunk.errors.append(
                    RecordError(line_no, "", f"is longer than {MAX_LINE_BYTES} bytes; split or shorten it")
                )
            elif raw.strip():
                _add(chunk, parse_json_line(raw, line_no), line_no, known_topics)
            if len(chunk.listings) + len(chunk.errors) >= chunk_size:
                chunk.position = raw_file.tell()
                yield chunk
                chunk = Chunk()
        chunk.position = raw_file.tell()
        yield chunk


def _add(chunk: Chunk, parsed: ListingIn | list[RecordError], line: int, known_topics: Iterable[str] | None) -> None:
    if isinstance(parsed, list):
        chunk.errors.extend(parsed)
        return
    topic_errors = check_topics(parsed, line, known_topics)
    if topic_errors:
        chunk.errors.extend(topic_errors)
        return
    chunk.listings.append(parsed)
    chunk.lines.append(line)


_LIST_COLUMNS = ("image_refs", "labels")


def _csv_record(row: dict[str, Any]) -> dict[str, Any]:
    """CSV has only strings: parse numbers, lists (``a|b`` or a JSON array) and JSON ``meta``."""
    record: dict[str, Any] = {k: v for k, v in row.items() if v not in (None, "") or k in ("description", "labels")}
    if "price" in record:
        # An unparsable price stays a string, and validation reports "Input should be a valid number".
        with contextlib.suppress(ValueError):
            record["price"] = float(record["price"])
    for column in _LIST_COLUMNS:
        value = record.get(column)
        if isinstance(value, str):
            stripped = value.strip()
            if stripped.startswith("["):
                with contextlib.suppress(json.JSONDecodeError):
                    record[column] = json.loads(stripped)
            else:
                record[column] = [part for part in stripped.split("|") if part]
    if isinstance(record.get("meta"), str):
        with contextlib.suppress(json.JSONDecodeError):
            record["meta"] = json.loads(record["meta"])
    if "labels" not in row:
        record.pop("labels", None)
    return record


def _validate_record(record: dict[str, Any], line: int) -> ListingIn | list[RecordError]:
    try:
        return ListingIn.model_validate(record)
    except ValidationError as exc:
        return validation_errors(line, exc)


def _read_csv(path: Path, chunk_size: int, known_topics: Iterable[str] | None) -> Iterator[Chunk]:
    with path.open("rb") as raw_file:
        text = io.TextIOWrapper(raw_file, encoding="utf-8", errors="strict", newline="")
        reader = csv.DictReader(text)
        chunk = Chunk()
        try:
            for row in reader:
                line_no = reader.line_num
                if None in row:
                    chunk.errors.append(RecordError(line_no, "", "has more values than the header has columns"))
                else:
                    _add(chunk, _validate_record(_csv_record(row), line_no), line_no, known_topics)
                if len(chunk.listings) + len(chunk.errors) >= chunk_size:
                    chunk.position = raw_file.tell()
                    yield chunk
                    chunk = Chunk()
        except UnicodeDecodeError as exc:
            chunk.errors.append(
                RecordError(
                    reader.line_num + 1,
                    "",
                    f"is not valid UTF-8 (bad byte {exc.object[exc.start : exc.start + 1]!r}); "
                    "re-encode the file as UTF-8; reading stopped here",
                )
            )
        except csv.Error as exc:
            chunk.errors.append(RecordError(reader.line_num, "", f"malformed CSV: {exc}; reading stopped here"))
        chunk.position = raw_file.tell()
        yield chunk


def _read_parquet(path: Path, chunk_size: int, known_topics: Iterable[str] | None) -> Iterator[Chunk]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Invalid(f"{path}: not a readable Parquet file ({exc})") from exc
    row = 0
    for batch in parquet.iter_batches(batch_size=chunk_size):
        chunk = Chunk()
        for record in batch.to_pylist():
            row += 1
            clean = {k: v for k, v in record.items() if v is not None}
            _add(chunk, _validate_record(clean, row), row, known_topics)
        chunk.position = row
        yield chunk


_READERS: dict[str, Callable[[Path, int, Iterable[str] | None], Iterator[Chunk]]] = {
    "jsonl": _read_jsonl,
    "csv": _read_csv,
    "parquet": _read_parquet,
}


def read_listings(path: Path, *, chunk_size: int = 2000, known_topics: Iterable[str] | None = None) -> Iterator[Chunk]:
    """Yield chunks of validated listings and per-record errors from a file of any supported format."""
    check_path(path)
    topics = sorted(known_topics) if known_topics is not None else None
    yield from _READERS[file_format(path)](path, chunk_size, topics)


def listing_to_record(listing: ListingIn) -> dict[str, Any]:
    """The JSON Lines form of a listing (the interchange format)."""
    return listing.model_dump(mode="json", exclude_none=True)


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write records as JSON Lines (gzipped if the name ends in .gz) and return how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n")
            count += 1
    return count
