"""Who speaks in a post the page's own account published: the page, or a reader it speaks for.

City groups ("Подслушано", "Инцидент") publish most of their readers' complaints as the group
itself: a post suggested through the group's suggestion box, often anonymous, or a reader's message
the admin retells ("пишет подписчик", "прислали в предложку"); Telegram channels repost readers'
messages as the channel. Those are citizens' words and are scored as any citizen's post. An
official page's own posts (a page of kind ``governor``, ``government``, ``municipal``) and a
community page's posts without such a mark stay the page's own words: news and answers, not
complaints.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from detector.records import official_page

_READER = r"(?:подписчи\w*|читател\w*|жител\w*)"
# How a page says it is passing on a reader's words; matched on the lower-cased text, ё as е.
_PUBLISHED_FOR = re.compile("|".join((
    r"(?<!\w)#?анонимн(?:о|ое|ый|ая)(?!\w)",
    r"(?<!\w)аноним(?!\w)",
    rf"(?:пиш\w+|написал\w*|прислал\w*|спрашива\w+|жалу\w+|сообща\w+|обратил\w*)\s+(?:наш\w*\s+)?{_READER}",
    rf"{_READER}\s+(?:пиш\w+|написал\w*|прислал\w*|спрашива\w+|жалу\w+|сообща\w+)",
    rf"(?:письм\w+|сообщени\w+|вопрос\w*|жалоб\w+|обращени\w+|истори\w+)\s+(?:от\s+)?{_READER}",
    rf"(?<!\w)от\s+(?:наш\w*\s+)?{_READER}",
    r"(?<!\w)(?:в|из|через)\s+предложк\w*",
    r"(?<!\w)предложк\w*",
    r"(?<!\w)нам\s+(?:пиш\w+|написал\w*|прислал\w*)",
)))


def published_for_a_reader(text: str) -> str | None:
    """The words by which a page says it publishes a reader's message, or None."""
    found = _PUBLISHED_FOR.search(text.lower().replace("ё", "е"))
    return found.group(0).strip() if found else None


def own_account(record: Mapping[str, Any]) -> bool:
    """Did the page's own (or an official) account publish it?"""
    author = record.get("author")
    return bool(record.get("official") or (isinstance(author, Mapping) and author.get("official")))


def page_speaks(record: Mapping[str, Any], text: str) -> tuple[bool, str | None]:
    """Whether the words are the page's own (an answer or news, not a complaint), and the mark of
    a reader's message that made a community page's own post a citizen's one."""
    if not own_account(record):
        return False, None
    if official_page(record):
        return True, None
    mark = published_for_a_reader(text)
    return mark is None, mark
