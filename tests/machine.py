"""What the tests need from the machine: the shared sample data beside the repository, real servers, a browser.

On a developer's laptop a missing one skips its tests with the reason. In CI (``CI=true``) it fails them:
``.ci/run`` installs everything, so a skip there would hide a test that never ran.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest

__all__ = ["IN_CI", "ROOT", "SHARED_DATA", "shared_data", "unavailable"]

ROOT = Path(__file__).resolve().parent.parent
#: ``../shared/data`` beside the repository, as CI lays it out.
SHARED_DATA = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip (or, in CI, fail) the test for want of ``reason``."""
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)


def shared_data(name: str) -> Path:
    """A file or folder of the shared sample data; skipped (failed in CI) when it is not there or empty."""
    path = SHARED_DATA / name
    if not path.exists() or (path.is_dir() and not any(path.iterdir())):
        unavailable(f"{path} is missing or empty (shared/ belongs beside the repository)")
    return path
