"""Reading an import file into rows: Excel workbooks (openpyxl) and CSV (UTF-8, with or without
the BOM Excel writes). A sheet (or a CSV file) is a readings table when its first row is
`point, timestamp, value[, note]`, a bills table when it is `point, from, to, amount[, cost][,
note]` (any order, any case); other sheets (instructions, lists) are ignored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

READING_COLUMNS = ("point", "timestamp", "value", "note")
BILL_COLUMNS = ("point", "from", "to", "amount", "cost", "note")
_REQUIRED = {"readings": {"point", "timestamp", "value"},
             "bills": {"point", "from", "to", "amount"}}


class SheetError(Exception):
    """The file cannot be read as an import; the message says what to do."""


@dataclass(frozen=True)
class Cell:
    """One data row of a table: where it is (sheet, 1-based row as Excel shows it) and its
    cells by column name (None when empty)."""

    sheet: str
    row: int
    kind: str  # readings | bills
    cells: dict[str, object]
    label: str | None = None  # how to name it instead (the API: "readings[3]")

    @property
    def where(self) -> str:
        return self.label or f"sheet {self.sheet!r} row {self.row}"


def read_file(path: Path) -> tuple[list[Cell], list[str]]:
    """(data rows of every readings/bills table, sheets ignored); SheetError if none."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise SheetError(f"{path}: no such file")
    if suffix in (".xlsx", ".xlsm"):
        tables = _workbook(path)
    elif suffix in (".csv", ".txt"):
        tables = [(path.name, _csv(path))]
    else:
        raise SheetError(f"{path}: give an Excel workbook (.xlsx) or a CSV file (.csv)")
    rows: list[Cell] = []
    ignored: list[str] = []
    for sheet, table in tables:
        found = _table(sheet, table)
        if found is None:
            ignored.append(sheet)
        else:
            rows += found
    if not rows and not any(_header(t) for _, t in tables):
        raise SheetError(f"{path}: no sheet starts with the columns point,timestamp,value "
                         "(readings) or point,from,to,amount (bills); write one with "
                         "`civicwatt readings template`")
    return rows, ignored


def _workbook(path: Path) -> list[tuple[str, list[tuple]]]:
    from openpyxl import load_workbook
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise SheetError(f"{path}: not a readable Excel workbook ({exc})") from None
    try:
        return [(ws.title, [tuple(r) for r in ws.iter_rows(values_only=True)])
                for ws in book.worksheets]
    finally:
        book.close()


def _csv(path: Path) -> list[tuple]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SheetError(f"{path}: not UTF-8 (byte {exc.start}); save it from Excel as "
                         "'CSV UTF-8 (comma delimited)'") from None
    return [tuple(c if c.strip() else None for c in r) for r in csv.reader(io.StringIO(text))]


def _header(table: list[tuple]) -> tuple[str, dict[str, int]] | None:
    for row in table:
        if any(c not in (None, "") for c in row):
            names = {str(c).strip().lower(): i for i, c in enumerate(row) if c is not None}
            for kind, needed in _REQUIRED.items():
                if needed <= names.keys():
                    return kind, names
            return None
    return None


def _table(sheet: str, table: list[tuple]) -> list[Cell] | None:
    found = _header(table)
    if found is None:
        return None
    kind, names = found
    columns = READING_COLUMNS if kind == "readings" else BILL_COLUMNS
    out: list[Cell] = []
    started = False
    for number, row in enumerate(table, start=1):
        empty = all(c is None or (isinstance(c, str) and not c.strip()) for c in row)
        if not started:
            started = not empty
            continue  # the header row
        if empty:
            continue
        cells = {c: (row[names[c]] if c in names and names[c] < len(row) else None)
                 for c in columns}
        out.append(Cell(sheet, number, kind, cells))
    return out
