"""``python -m nkdiplomacy.cli``: the command line."""

from nkdiplomacy.cli import main

raise SystemExit(main())
