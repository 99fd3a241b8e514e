"""Badges: criteria, images, award cards and Open Badges 2.0 documents."""

__all__: list[str] = []
