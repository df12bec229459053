"""Find English sentences left in a Chinese page.

Text inside elements marked with a non-Chinese ``lang`` (and their descendants),
``code``/``kbd``/``samp``/``pre``/``script``/``style``, URLs, email addresses, host
names are ignored; the names on :data:`ALLOWED` and all-capital tokens (commands,
record types) do not count; any run of three or more Latin
words left over is reported.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Names a Chinese page writes in Latin letters because its readers see them so in
# their mail app or on the provider's site: protocols, security modes, brands, apps.
ALLOWED = frozenset(
    {
        "IMAP", "POP3", "POP", "SMTP", "SSL", "TLS", "SSL/TLS", "STARTTLS", "OAuth2",
        "OAuth", "MX", "SRV", "DNS", "HTTP", "HTTPS", "ISPDB", "Autoconfig", "autoconfig",
        "QQ", "Gmail", "Google", "Outlook", "Microsoft", "Apple", "iCloud", "Yahoo",
        "Foxmail", "Thunderbird", "iPhone", "iPad", "iOS", "Android", "macOS", "Windows",
        "Mail", "NetEase", "Mozilla", "ms", "JSON", "TXT", "CNAME", "RFC", "SPF",
    }
)  # fmt: skip

_SKIP_TAGS = frozenset({"code", "kbd", "samp", "pre", "script", "style", "template"})
_VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "wbr", "source", "area", "col"})
_URL = re.compile(r"\b(?:https?|mailto):\S+|\S+@\S+|\b(?:[\w-]+\.)+[a-z]{2,}\b(?::\d+)?", re.I)
# What a server or an app says, quoted verbatim so the reader recognises it.
_QUOTED = re.compile(r"“[^“”]*”|「[^「」]*」|『[^『』]*』")
_CAPS = re.compile(r"[A-Z0-9/+-]{2,}")  # protocol commands, record types, acronyms
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'/+.-]*")
_GAP = re.compile(r"^[\s,;:()'\"!?/&-]*$")  # what may stand between two words of one run


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self.chunks: list[str] = []

    def _skipping(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            self.chunks.append(" ")
            return
        lang = dict(attrs).get("lang")
        foreign = lang is not None and not lang.lower().startswith("zh")
        self.stack.append((tag, self._skipping() or foreign or tag in _SKIP_TAGS))
        self.chunks.append(" ")

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        self.chunks.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping():
            self.chunks.append(data)


def visible_text(html: str) -> str:
    """The page's text a Chinese reader is meant to read, tags and skipped parts removed."""
    body = html.split("<body", 1)[-1]
    parser = _Text()
    parser.feed(body)
    parser.close()
    return "".join(parser.chunks)


def english_runs(html: str, min_words: int = 3) -> list[str]:
    """Every run of at least ``min_words`` Latin words outside the ignored parts."""
    text = _URL.sub(" \x00 ", _QUOTED.sub(" \x00 ", visible_text(html)))
    runs: list[str] = []
    current: list[str] = []
    last_end = 0
    for match in _WORD.finditer(text):
        word = match.group().strip(".")
        gap = text[last_end : match.start()]
        if current and not _GAP.match(gap):
            if len(current) >= min_words:
                runs.append(" ".join(current))
            current = []
        last_end = match.end()
        if word not in ALLOWED and not _CAPS.fullmatch(
            word
        ):  # a name does not count, nor break a sentence around it
            current.append(word)
    if len(current) >= min_words:
        runs.append(" ".join(current))
    return runs
