"""Moves the wall clock of a Python process started by a test the way the test process's was moved.

``tests/conftest.py`` moves the test process's wall clock when ``PLAUDIT_TEST_WALL_CLOCK`` is set, then puts
this folder first on ``PYTHONPATH`` and the moved time, anchored to the monotonic clock that every process of
the machine shares, into that variable (``INSTANT@MONOTONIC``): a server or worker started later reads the
same moved time as the test that started it, as processes on real machines agree on the time.
"""

import os
import time

_raw = os.environ.get("PLAUDIT_TEST_WALL_CLOCK", "")
if "@" in _raw:
    from datetime import datetime, timedelta

    import time_machine

    _instant, _, _anchor = _raw.partition("@")
    _at = datetime.fromisoformat(_instant) + timedelta(seconds=time.monotonic() - float(_anchor))
    time_machine.travel(_at, tick=True).start()
