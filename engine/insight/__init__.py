"""What HR learns from the program: KPIs and the simulation of a draft program."""

__all__: list[str] = []
