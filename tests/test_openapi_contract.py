"""Issue 18: the served OpenAPI document is the contract, fuzzed. Schemathesis drives ``plaudit serve`` (a real
process, the default program, a small roster) from ``/schema/openapi.json`` with generated requests, valid and
not, as each kind of caller, and fails on any 5xx, any answer whose status, content type, headers or body the
document does not declare, any invalid request accepted, and an ``Allow`` that differs from the document.

A finding prints schemathesis's report with a ``curl`` to reproduce it. The seed is fixed so that a red run can
be repeated; ``PLAUDIT_FUZZ_SEED`` and ``PLAUDIT_FUZZ_EXAMPLES`` (per operation and phase) change the search,
e.g. ``PLAUDIT_FUZZ_EXAMPLES=200 pytest tests/test_openapi_contract.py`` before a release.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from engine.people.api_keys import create_key
from engine.storage.database import DatabaseConfig, open_database
from tests.faults.processes import JWT_SECRET, Server, prepare

ROSTER = [
    {
        "external_id": f"E{i}",
        "email": f"e{i}@example.com",
        "given_name": "Given",
        "family_name": f"Family {i}",
        "team": "Sales" if i % 2 else "Marketing",
        "visibility": "public",
    }
    for i in range(1, 13)
]
#: Every check schemathesis has but ``positive_data_acceptance``: some of our rules cannot be said in JSON Schema
#: (an adjustment's points are not 0; HR names the giver of a shoutout), so a schema-valid request may get a 422.
EXCLUDED_CHECKS = "positive_data_acceptance"
SEED = int(os.environ.get("PLAUDIT_FUZZ_SEED", "18"))
EXAMPLES = int(os.environ.get("PLAUDIT_FUZZ_EXAMPLES", "20"))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    """``plaudit serve`` on SQLite and a credential per kind of caller (rate limits off: the fuzzer would
    otherwise spend its examples on 429s, which are declared and tested apart)."""
    where = tmp_path_factory.mktemp("contract")
    url = f"sqlite:///{where / 'contract.sqlite'}"
    tool_key = prepare(url, ROSTER)
    db = open_database(DatabaseConfig(url=url, migrate=False))
    try:
        scim_key = create_key(db, "okta", ["scim"], "contract test").key
    finally:
        db.close()
    expires = int(time.time()) + 3600
    credentials = {
        "hr": jwt.encode({"sub": "hr-admin", "exp": expires, "roles": ["hr"]}, JWT_SECRET),
        "employee": jwt.encode({"sub": "E1", "exp": expires, "roles": ["employee"]}, JWT_SECRET),
        "tool": tool_key,
        "scim": scim_key,
    }
    env = {
        "DATABASE_URL": url,
        "PLAUDIT_RATE_LIMIT": "0",
        "PLAUDIT_RATE_LIMIT_EVENTS": "0",
        "PLAUDIT_RATE_LIMIT_SCIM": "0",
    }
    server = Server(env, where / "server.log", tool_key)
    server.start()
    try:
        yield server, credentials
    finally:
        server.close()


@pytest.mark.parametrize("caller", ["unauthenticated", "employee", "hr", "tool", "scim"])
def test_every_answer_matches_the_served_schema(
    served: tuple[Server, dict[str, str]], caller: str, tmp_path: Path
) -> None:
    server, credentials = served
    command = [
        _schemathesis(),
        "run",
        f"http://127.0.0.1:{server.port}/schema/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED_CHECKS,
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--no-color",
        "--request-timeout",
        "30",
    ]
    if caller != "unauthenticated":
        command += ["--header", f"Authorization: Bearer {credentials[caller]}"]
    run = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False
    )
    report = run.stdout[-20000:] + run.stderr[-4000:]
    assert run.returncode == 0, f"as {caller}, seed {SEED}:\n{report}\n{server.logs(40)}"
    assert "Test cases:" in run.stdout and " passed" in run.stdout, report
    # A 500 would fail a check above; this also catches one the fuzzer's request did not see (a logged traceback).
    assert "Traceback" not in server.log.read_text(errors="replace"), server.logs(80)


def _schemathesis() -> str:
    found = Path(sys.executable).with_name("schemathesis")
    return str(found) if found.exists() else shutil.which("schemathesis") or "schemathesis"
