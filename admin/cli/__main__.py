"""``python -m admin.cli``: the same as the ``plaudit`` command."""

from admin.cli import main

main()
