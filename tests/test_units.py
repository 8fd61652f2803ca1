import pytest

from app.units import whole_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", 0),
        ("42", 42),
        ("007", 7),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("1.5", None),
        (" 4", None),
        ("", None),
    ],
)
def test_only_ascii_digits_are_a_whole_number(text: str, number: int | None) -> None:
    assert whole_number(text) == number
