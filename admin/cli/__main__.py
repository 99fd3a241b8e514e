"""``python -m admin.cli``: the same as the ``plaudit`` command."""

__all__: list[str] = []


from admin.cli import main

main()
