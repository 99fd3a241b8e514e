"""HR's pages: the rules editor with simulation, KPIs, month close, Piccolo Admin at /admin/."""

__all__: list[str] = []
