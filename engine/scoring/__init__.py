"""Events in, points out: intake, published rulesets, scoring a batch, replay and adjustments."""

__all__: list[str] = []
