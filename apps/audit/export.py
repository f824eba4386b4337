"""Hash-chained export files for audit entries (CSV and JSON Lines) and their verification.

Each data row ends with its hash: ``hash_n = sha256(hash_{n-1} + "\\n" + payload_n)`` where
``payload_n`` is the exact UTF-8 text of the row without its hash (CSV: the record without the final
``,<hash>`` column and line terminator; JSON Lines: the object without its final ``"hash"`` member).
``hash_0`` is GENESIS. Any byte changed in a row breaks that row's hash; the manifest's final hash
and row count catch truncation or appended rows. Writing and verifying stream one row at a time.
"""

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

FORMAT_VERSION = 1
GENESIS = "0" * 64
CSV_COLUMNS = (
    "seq",
    "entry_id",
    "created_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "merchant",
    "action",
    "object_type",
    "object_id",
    "reason",
    "request_id",
    "ip_address",
    "before",
    "after",
)
CSV_HEADER = ",".join((*CSV_COLUMNS, "hash")) + "\r\n"
_CSV_TAIL = re.compile(r",([0-9a-f]{64})\r\n\Z")
_JSONL_TAIL = re.compile(rb',"hash":"([0-9a-f]{64})"\}\n\Z')


def chain(previous: str, payload: bytes) -> str:
    return hashlib.sha256(previous.encode("ascii") + b"\n" + payload).hexdigest()


def _json(value) -> str:
    return "" if value is None else json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass
class ChainState:
    hash: str = GENESIS
    rows: int = 0


class ChainedCsvWriter:
    def __init__(self, fh):
        self.fh = fh
        self.state = ChainState()
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        fh.write(CSV_HEADER.encode())

    def write(self, row: dict) -> None:
        self.state.rows += 1
        values = [self.state.rows, *(_cell(row.get(c)) for c in CSV_COLUMNS[1:])]
        self._buf.seek(0)
        self._buf.truncate()
        self._writer.writerow(values)
        payload = self._buf.getvalue()[:-2].encode("utf-8")
        self.state.hash = chain(self.state.hash, payload)
        self.fh.write(payload + b"," + self.state.hash.encode() + b"\r\n")


def _cell(value) -> str:
    if isinstance(value, dict | list):
        return _json(value)
    return "" if value is None else str(value)


class ChainedJsonlWriter:
    def __init__(self, fh):
        self.fh = fh
        self.state = ChainState()

    def write(self, row: dict) -> None:
        self.state.rows += 1
        obj = {"seq": self.state.rows, **{c: row.get(c) for c in CSV_COLUMNS[1:]}}
        payload = json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()
        self.state.hash = chain(self.state.hash, payload)
        self.fh.write(payload[:-1] + b',"hash":"' + self.state.hash.encode() + b'"}\n')


# --- verification -------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    rows: int
    final_hash: str
    bad_row: int | None = None  # 1-based data row number
    bad_line: int | None = None  # 1-based physical line number in the file
    message: str = ""


def verify_file(path: str | Path, manifest: dict | None = None) -> VerifyResult:
    path = Path(path)
    kind = "jsonl" if path.suffix in (".jsonl", ".ndjson") else "csv"
    with path.open("rb") as fh:
        result = _verify_jsonl(fh) if kind == "jsonl" else _verify_csv(fh)
    if result.ok and manifest is not None:
        expected = (manifest.get("files") or {}).get(kind) or {}
        if expected.get("rows") is not None and expected["rows"] != result.rows:
            return VerifyResult(
                False,
                result.rows,
                result.final_hash,
                bad_row=min(result.rows, expected["rows"]) + 1,
                message=f"the manifest lists {expected['rows']} rows, the file has {result.rows}",
            )
        if expected.get("final_hash") and expected["final_hash"] != result.final_hash:
            return VerifyResult(
                False,
                result.rows,
                result.final_hash,
                bad_row=result.rows,
                message="the final hash differs from the manifest",
            )
    return result


def _verify_jsonl(fh) -> VerifyResult:
    state = ChainState()
    for line_no, line in enumerate(fh, start=1):
        row = line_no
        match = _JSONL_TAIL.search(line)
        if match is None:
            return VerifyResult(False, state.rows, state.hash, row, line_no, "row is not a hashed record")
        payload = line[: match.start()] + b"}"
        expected = chain(state.hash, payload)
        if expected != match.group(1).decode():
            return VerifyResult(False, state.rows, state.hash, row, line_no, "hash does not match the row")
        try:
            obj = json.loads(payload)
        except ValueError:
            return VerifyResult(False, state.rows, state.hash, row, line_no, "row is not valid JSON")
        if obj.get("seq") != row:
            return VerifyResult(False, state.rows, state.hash, row, line_no, "sequence number out of order")
        state.hash, state.rows = expected, row
    return VerifyResult(True, state.rows, state.hash)


def _verify_csv(fh) -> VerifyResult:
    state = ChainState()
    consumed: list[str] = []
    line_no = 0
    decode_error = []

    def lines() -> Iterator[str]:
        nonlocal line_no
        for raw in fh:
            line_no += 1
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                decode_error.append(line_no)
                return
            consumed.append(text)
            yield text

    source = lines()
    header = next(source, None)
    if header != CSV_HEADER:
        return VerifyResult(False, 0, GENESIS, 0, 1, "the header row differs from the expected columns")
    consumed.clear()
    reader = csv.reader(source)
    row = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            return VerifyResult(False, state.rows, state.hash, row + 1, line_no, f"malformed CSV: {exc}")
        row += 1
        first_line = line_no - len(consumed) + 1
        record = "".join(consumed)
        consumed.clear()
        match = _CSV_TAIL.search(record)
        if match is None:
            return VerifyResult(False, state.rows, state.hash, row, first_line, "row is not a hashed record")
        payload = record[: match.start()].encode("utf-8")
        expected = chain(state.hash, payload)
        if expected != match.group(1):
            return VerifyResult(False, state.rows, state.hash, row, first_line, "hash does not match the row")
        if fields[0] != str(row):
            return VerifyResult(
                False, state.rows, state.hash, row, first_line, "sequence number out of order"
            )
        state.hash, state.rows = expected, row
    if decode_error:
        return VerifyResult(False, state.rows, state.hash, row + 1, decode_error[0], "invalid UTF-8")
    return VerifyResult(True, state.rows, state.hash)


def entries_to_files(rows: Iterable[dict], csv_fh, jsonl_fh) -> tuple[ChainState, ChainState]:
    csv_writer, jsonl_writer = ChainedCsvWriter(csv_fh), ChainedJsonlWriter(jsonl_fh)
    for row in rows:
        csv_writer.write(row)
        jsonl_writer.write(row)
    return csv_writer.state, jsonl_writer.state
