"""House numbers next to a street name: "Ленина д. 5 к. 2", "Победы 14/2", "дом 12а по Речной",
"у 5-го дома"; returned as written in an address ("5к2", "14/2", "12а")."""

from __future__ import annotations

import re

_HOUSE_AFTER = re.compile(
    r"^[\s,.]*(?:(?:д|дом)\.?\s*)?(?:№\s*)?(\d{1,4})(?:([а-яё])(?![а-яё\d]))?"
    r"(?:[\s,.]*(/|-|к\.?|корп\.?|корпус)\s*(\d{1,3}))?(?![\d:.]\d)", re.IGNORECASE)
_HOUSE_BEFORE = re.compile(r"(?:д|дом|дома|доме|домом|дому)\.?\s*[№#]?\s*(\d{1,4})\s*([а-яё](?![а-яё]))?"
                           r"(?:[\s,]*(?:к|корп|корпус)\.?\s*(\d{1,3}))?,?\s*(?:по|на)?\s*"
                           r"(?:ул|улиц[аеуы]|пр-ту|проспект[ау]?|пер|переулк[ау]|б-ру|бульвар[ау]|ш|шоссе|пл|"
                           r"площад[ьи]|наб|набережной)?\.?\s*$", re.IGNORECASE)
_HOUSE_NEAR = re.compile(r"^[\s,]*(?:у|возле|около|напротив)\s+(?:д\.?\s*|дома\s+)?(\d{1,4})([а-яё](?![а-яё]))?"
                         r"(?:\s*-?(?:го|ого))?\s+(?:дом|д\b)", re.IGNORECASE)


def house_after(text: str, position: int) -> str | None:
    """The house written right after ``position`` (the end of a street name)."""
    near = _HOUSE_NEAR.match(text[position:position + 28])
    if near:
        return near.group(1) + (near.group(2) or "").lower()
    match = _HOUSE_AFTER.match(text[position:position + 24])
    if not match:
        return None
    number, letter, sep, part = match.groups()
    house = number + (letter.lower() if letter else "")
    if part:
        house += ("/" if sep == "/" else "к") + part  # "7-1" is building 1 of house 7, as "7к1"
    return house


def house_before(text: str, position: int) -> str | None:
    """The house written right before ``position`` (the start of a street name): "д. 5 по"."""
    match = _HOUSE_BEFORE.search(text[max(0, position - 40):position])
    if not match:
        return None
    number, letter, part = match.groups()
    return number + (letter or "").lower() + (f"к{part}" if part else "")
