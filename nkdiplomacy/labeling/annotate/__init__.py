"""``nkdiplomacy annotate``: label segments in the browser, one keystroke each (see :mod:`.app`)."""
