"""The one way Plaudit runs work in a thread of the API process: start, wake, stop.

The embedded scoring worker and the outbox delivery loop are both "do what is due, then sleep until woken or
until the idle time has passed"; they differ only in the work, so the thread handling lives here once.
"""

from __future__ import annotations

import threading

__all__ = ["BackgroundThread"]


class BackgroundThread:
    """A daemon thread that calls :meth:`run` once; ``run`` loops until :attr:`stopping`, sleeping with
    :meth:`idle`, which :meth:`wake` cuts short. Subclasses implement ``run`` and may override ``closed``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Work arrived: end the current idle wait now rather than at its timeout."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self.closed()

    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def idle(self, seconds: float) -> None:
        """Sleep until woken or ``seconds`` have passed."""
        self._wake.wait(seconds)
        self._wake.clear()

    def pause(self, seconds: float) -> None:
        """Sleep ``seconds`` unless stopped (a wake does not cut it short: after a failure, wait it out)."""
        self._stop.wait(seconds)

    def run(self) -> None:
        raise NotImplementedError

    def closed(self) -> None:
        """Called once the thread has ended (or timed out) in ``stop``: release what ``run`` did not."""
