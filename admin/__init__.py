"""The HR side of Plaudit: the ``plaudit`` command line (and, later, the admin pages).

A thin layer over ``engine`` and ``rules``: parsing arguments, showing progress and printing results.
"""

__all__: list[str] = []
