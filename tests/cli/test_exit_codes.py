"""What the command line says and returns when input is bad or the environment is not ready.

Exit codes (docs/commands.md): 0 done, 1 error (nothing more done), 2 internal error, 3 done but some
records were rejected.
"""

import re
import socket
from pathlib import Path

from sqlalchemy import func, select

from listingguard.db import get_engine
from listingguard.listings.models import ListingRevision
from tests.cli.test_cli import run, write_jsonl
from tests.conftest import listing

TWO_BAD_RECORDS = [
    listing(id="a"),
    listing(id="b", price=-1, category="", condition=123, seller_id=""),  # one record, several errors
    '{"broken',
    listing(id="c"),
]


def one_line_error(result, needle: str) -> None:
    assert result.exit_code == 1, result.output
    assert needle in result.output, result.output
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert "listingguard on http" not in result.output  # nothing announced


class TestIngest:
    def test_counts_rejected_records_not_errors_and_exits_3(self, tmp_path: Path, database_url: str) -> None:
        path = write_jsonl(tmp_path / "in.jsonl", TWO_BAD_RECORDS)
        result = run("ingest", str(path), "--database-url", database_url)
        assert result.exit_code == 3, result.output
        assert "2 records were rejected" in result.output
        assert re.search(r"records rejected\W+2\b", result.output), result.output
        with get_engine(database_url).connect() as conn:
            assert conn.execute(select(func.count()).select_from(ListingRevision)).scalar_one() == 2

    def test_strict_counts_records_and_exits_1(self, tmp_path: Path, database_url: str) -> None:
        path = write_jsonl(tmp_path / "in.jsonl", TWO_BAD_RECORDS)
        result = run("ingest", str(path), "--strict", "--database-url", database_url)
        assert result.exit_code == 1 and "2 invalid records" in result.output and "nothing was stored" in result.output

    def test_an_empty_file_says_so(self, tmp_path: Path, database_url: str) -> None:
        path = tmp_path / "empty.jsonl"
        path.write_text("")
        result = run("ingest", str(path), "--database-url", database_url)
        assert result.exit_code == 0 and "has no records (the file is empty)" in result.output


class TestScore:
    def test_counts_rejected_records_and_exits_3(self, tmp_path: Path) -> None:
        path = write_jsonl(tmp_path / "in.jsonl", TWO_BAD_RECORDS)
        out = tmp_path / "out.jsonl"
        result = run("score", "--input", str(path), "--output", str(out))
        assert result.exit_code == 3, result.output
        assert "2 invalid records" in result.output and "scored 2 listings" in result.output
        assert len(out.read_text().splitlines()) == 2

    def test_an_empty_file_says_so(self, tmp_path: Path) -> None:
        path = tmp_path / "empty.jsonl"
        path.write_text("")
        result = run("score", "--input", str(path), "--output", str(tmp_path / "out.jsonl"))
        assert result.exit_code == 0 and "has no records (the file is empty)" in result.output


class TestDatabaseUrl:
    def test_not_a_url(self) -> None:
        one_line_error(run("migrate", "--database-url", "notaurl"), "is not a database URL")

    def test_unknown_kind_of_database(self) -> None:
        one_line_error(run("migrate", "--database-url", "nosuchdb://x/y"), "unknown kind of database 'nosuchdb'")

    def test_unreachable_server(self) -> None:
        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing"
        one_line_error(run("migrate", "--database-url", url), "cannot use the database")

    def test_serve_checks_the_database_first(self) -> None:
        one_line_error(run("serve", "--database-url", "notaurl"), "is not a database URL")


class TestServe:
    def test_missing_model(self, tmp_path: Path) -> None:
        result = run("serve", "--model", str(tmp_path / "missing"), "--database-url", f"sqlite:///{tmp_path}/a.db")
        one_line_error(result, "is not a model directory")

    def test_busy_port(self, tmp_path: Path) -> None:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            result = run("serve", "--port", str(port), "--database-url", f"sqlite:///{tmp_path}/a.db")
        one_line_error(result, f"port {port} on 127.0.0.1 is already in use")
