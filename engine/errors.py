"""One base for what the engine refuses, so the API, the pages and the CLI answer it the same way.

Each error names the field that is wrong (``field: message``) and says what kind of refusal it is; the API turns
``kind`` into a status once (``api.problems``): ``invalid`` 422, ``not_found`` 404, ``forbidden`` 403, and the
conflicts with what is stored already (``conflict``, ``decided``, ``allowance``) 409.
"""

from __future__ import annotations

__all__ = ["KINDS", "PlauditError"]

#: Every kind of refusal, and what it means.
KINDS = {
    "invalid": "the input is wrong",
    "not_found": "what it names does not exist",
    "forbidden": "the asker may not do this",
    "conflict": "it clashes with what is stored (a unique value, a published version)",
    "decided": "it was decided already and stays so",
    "allowance": "the asker's allowance is used up",
    "early": "it is not due yet",
}


class PlauditError(ValueError):
    """A refusal (a ValueError: a value the engine will not take) naming the field (``field``), what is wrong (``message``) and its ``kind`` (see KINDS);
    ``problems`` lists every problem when there are several (a roster's bad lines)."""

    def __init__(
        self, field: str, message: str, kind: str = "invalid", problems: list[str] | None = None
    ) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.kind = kind
        self.problems = problems if problems is not None else [str(self)]
