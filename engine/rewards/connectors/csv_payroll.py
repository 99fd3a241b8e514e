"""A month's payouts as a CSV file that payroll picks up from a directory.

Payload (shaped by the outbox)::

    {"period": "2026-11", "currency": "EUR",
     "lines": [{"employee_id": "E1", "amount": "12.30", "currency": "EUR", "reason": "...", "reference": "..."}]}

The file is ``<directory>/payroll-<reward>-<period>.csv``: UTF-8, a header
``employee_id,amount,currency,reason,reference``, one row per line, CRLF line ends (RFC 4180, what Excel writes).

Why so careful: payroll pays what the file says, so a file must never be half written and never be replaced.
It is written to a temporary file in the same directory, fsynced, then hard-linked to its name (``os.link`` fails
when the name exists, so an existing file is never replaced, even by two workers racing) and the directory is
fsynced. A retry after a crash finds the file: identical content is ``delivered`` (the first attempt did it),
other content is ``failed`` (a period is paid once; a second, different file needs a human).

Why the apostrophes: reasons are HR's free text and the file is opened in Excel, where a cell starting with
``= + - @`` (or a tab / carriage return) is a formula. Such text cells get a leading ``'`` (OWASP's advice). The
amount is checked to be a plain decimal number instead, so "-5.00" stays a number.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from engine.rewards.connectors import OutboundMessage, Outcome

__all__ = ["COLUMNS", "CsvPayrollConnector", "escape_cell", "render_csv"]

COLUMNS = ("employee_id", "amount", "currency", "reason", "reference")
#: What a reward id or a period may be to become part of a file name (no separators, no "..").
_NAME_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
_AMOUNT = re.compile(r"-?\d{1,15}(\.\d{1,6})?")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Owner writes, the owner's group (the payroll reader) reads, others nothing: the file holds pay.
_MODE = 0o640


def escape_cell(value: str) -> str:
    """A text cell Excel will not run as a formula."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(payload: Mapping[str, Any]) -> bytes:
    """The file's bytes for a payload; ValueError naming what is wrong with it."""
    lines = payload.get("lines")
    if not isinstance(lines, list):
        raise ValueError("payload has no 'lines' list")
    default_currency = str(payload.get("currency") or "")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for number, line in enumerate(lines, 1):
        if not isinstance(line, Mapping):
            raise ValueError(f"line {number} is not an object")
        employee = str(line.get("employee_id") or "")
        amount = str(line.get("amount") if line.get("amount") is not None else "")
        if not employee:
            raise ValueError(f"line {number} has no employee_id")
        if not _AMOUNT.fullmatch(amount):
            raise ValueError(f"line {number}: amount {amount[:30]!r} is not a decimal number")
        currency = str(line.get("currency") or default_currency)
        writer.writerow(
            (
                escape_cell(employee),
                amount,  # a checked number: escaping would turn "-5.00" into text
                escape_cell(currency),
                escape_cell(str(line.get("reason") or "")),
                escape_cell(str(line.get("reference") or "")),
            )
        )
    return out.getvalue().encode("utf-8")


class CsvPayrollConnector:
    """Writes one payroll file per (reward, period); thread-safe (the file system arbitrates)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def path_for(self, message: OutboundMessage) -> Path | None:
        """Where the message's file goes; None when its reward or period cannot be part of a file name."""
        period = str(message.payload.get("period") or "")
        if not (_NAME_PART.fullmatch(message.reward) and _NAME_PART.fullmatch(period)):
            return None
        if ".." in message.reward or ".." in period:
            return None
        return self.directory / f"payroll-{message.reward}-{period}.csv"

    def send(self, message: OutboundMessage) -> Outcome:
        target = self.path_for(message)
        if target is None:
            return Outcome(
                "failed",
                f"reward {message.reward[:40]!r} and period "
                f"{str(message.payload.get('period'))[:40]!r} cannot name a file",
            )
        try:
            content = render_csv(message.payload)
        except ValueError as exc:
            return Outcome("failed", f"bad payroll payload: {exc}")
        receipt = {
            "file": str(target),
            "lines": len(message.payload["lines"]),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if target.exists():
                return _compare(target, content, receipt)
            written = _write_new(self.directory, target, content)
        except OSError as exc:
            # A full disk or a missing mount may heal; the outbox retries and finally shows the error.
            return Outcome("retry", f"could not write {target.name}: {exc.strerror or exc}")
        if not written:  # another worker linked it first
            return _compare(target, content, receipt)
        return Outcome("delivered", f"wrote {target.name}", receipt=receipt)

    def close(self) -> None:
        """Nothing to release: every send opens and closes its own files."""


def _compare(target: Path, content: bytes, receipt: dict[str, Any]) -> Outcome:
    if target.read_bytes() == content:
        return Outcome("delivered", f"{target.name} was already written", receipt=receipt)
    return Outcome(
        "failed",
        f"{target.name} exists with other content; a period's payroll file is never written twice",
    )


def _write_new(directory: Path, target: Path, content: bytes) -> bool:
    """Write ``content`` to ``target`` all at once, only if it does not exist; False when it did."""
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=".payroll-", suffix=".tmp")
    temp = Path(temp_name)
    try:
        os.fchmod(fd, _MODE)  # mkstemp makes it 0600; the payroll reader is often another user
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temp, target)  # atomic, and never replaces (unlike rename)
        except FileExistsError:
            return False
        except OSError:
            # A file system without hard links: O_EXCL still never replaces, but is not all-at-once.
            if not _write_exclusive(target, content):
                return False
        _fsync_directory(directory)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _write_exclusive(target: Path, content: bytes) -> bool:
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _MODE)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    return True


def _fsync_directory(directory: Path) -> None:
    """Make the new name itself durable (the file's data was fsynced before it got the name)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
