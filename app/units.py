"""Units every layer counts in."""

MB = 1024 * 1024  # bytes in a megabyte, as every *_MB setting and size in Squeeze means it


def whole_number(text: str) -> int | None:
    """``text`` read as a whole number written in ASCII digits (``"42"``), else None.

    Every number a client, a receiver or the environment writes as text is read here:
    ``str.isdigit`` also passes digits ``int`` refuses (``"²"``), a 500 where a 4xx is due.
    """
    return int(text) if text.isascii() and text.isdigit() else None
