"""Units every layer counts in."""

MB = 1024 * 1024  # bytes in a megabyte, as every *_MB setting and size in Squeeze means it
