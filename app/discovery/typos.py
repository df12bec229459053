"""Typo suggestions: the known domains that a domain which does not exist may be a slip of.

A domain is split at its public suffix: the name (``gmial`` of ``gmial.com``, ``vip.126``
of ``vip.126.com``) and the suffix (``com``) are compared apart. The cost is a weighted
optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions), in
which a QWERTY neighbour, a transposition or a doubled letter costs less than another
edit, and a common suffix slip (``con`` for ``com``) costs least. A name of up to 5
characters allows one edit, a longer one two; the suffix allows one. Candidates come from
an index of deletions (SymSpell), so a query does not compare against every domain.
"""

from __future__ import annotations

import functools
import math
import weakref
from collections import defaultdict
from collections.abc import Iterable, Iterator

from app.discovery.findings import DiscoveryFinding
from app.discovery.pipeline import Discovery
from app.errors import InvalidAddress
from app.hostnames import base_domain, normalize_domain
from app.models import Source, TraceOutcome
from app.providers.db import ProviderDB

MAX_SUGGESTIONS = 3
EDIT = 1.0  # insertion, deletion or substitution
SLIP = 0.75  # a neighbouring key, two letters swapped, a letter doubled or left single
SUFFIX_SLIP = 0.5  # a suffix from SUFFIX_SLIPS
SHORT_NAME = 5  # names up to this long allow one edit, longer ones two
MAX_EDITS = 2  # every edit costs at least SLIP, so a budget of 2.0 allows 2 edits
SUFFIX_BUDGET = 1.0

# The suffix meant -> common slips for it.
_SLIPS = {
    "com": "con cm cmo ocm vom xom co comm cpm cim om coom c0m",
    "net": "nte ner nt met bet nett ent ne",
    "org": "ogr rog or orgg prg otg",
    "cn": "ccn cb cnn c",
}


def _suffix_slips() -> dict[str, tuple[str, ...]]:
    """Typed suffix -> the suffixes it is a common slip of."""
    slips: dict[str, tuple[str, ...]] = {}
    for meant, typed in _SLIPS.items():
        for slip in typed.split():
            slips[slip] = (*slips.get(slip, ()), meant)
    return slips


SUFFIX_SLIPS = _suffix_slips()

_ROWS = ("1234567890-", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours() -> dict[str, frozenset[str]]:
    """Keys that touch on a QWERTY keyboard; each row sits half a key right of the one above."""
    near: dict[str, set[str]] = defaultdict(set)
    for r, row in enumerate(_ROWS):
        for i, key in enumerate(row):
            spots = [(r, i - 1), (r, i + 1), (r - 1, i), (r - 1, i + 1), (r + 1, i - 1), (r + 1, i)]
            for rr, ii in spots:
                if 0 <= rr < len(_ROWS) and 0 <= ii < len(_ROWS[rr]):
                    near[key].add(_ROWS[rr][ii])
    return {key: frozenset(keys) for key, keys in near.items()}


NEIGHBOURS = _neighbours()


def _gap_costs(text: str) -> list[float]:
    """What inserting or deleting each letter costs: less where it doubles a neighbour."""
    return [
        SLIP if (i > 0 and text[i - 1] == c) or (i + 1 < len(text) and text[i + 1] == c) else EDIT
        for i, c in enumerate(text)
    ]


def distance(a: str, b: str, cap: float = math.inf) -> float:
    """The weighted OSA distance from ``a`` to ``b``; ``math.inf`` once it must pass ``cap``."""
    if a == b:
        return 0.0
    if abs(len(a) - len(b)) * SLIP > cap:
        return math.inf
    gap_a, gap_b = _gap_costs(a), _gap_costs(b)
    before: list[float] = []
    prev = [0.0]
    for j in range(len(b)):
        prev.append(prev[j] + gap_b[j])
    for i, ca in enumerate(a, 1):
        row = [prev[0] + gap_a[i - 1]]
        for j, cb in enumerate(b, 1):
            if ca == cb:
                best = prev[j - 1]
            else:
                best = prev[j - 1] + (SLIP if cb in NEIGHBOURS.get(ca, ()) else EDIT)
                if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                    best = min(best, before[j - 2] + SLIP)
            best = min(best, prev[j] + gap_a[i - 1], row[j - 1] + gap_b[j - 1])
            row.append(best)
        if min(row) > cap and min(prev) > cap:  # a transposition skips one row, never two
            return math.inf
        before, prev = prev, row
    return prev[-1] if prev[-1] <= cap else math.inf


@functools.lru_cache(maxsize=4096)
def suffix_cost(typed: str, known: str) -> float:
    """What turning suffix ``typed`` into ``known`` costs, label by label where they pair up."""
    if typed == known:
        return 0.0
    if known in SUFFIX_SLIPS.get(typed, ()):
        return SUFFIX_SLIP
    whole = distance(typed, known, SUFFIX_BUDGET)
    typed_labels, known_labels = typed.split("."), known.split(".")
    if len(typed_labels) != len(known_labels) or len(typed_labels) == 1:
        return whole
    paired = sum(suffix_cost(t, k) for t, k in zip(typed_labels, known_labels, strict=True))
    return paired if paired < whole and paired <= SUFFIX_BUDGET else whole


def split(domain: str) -> tuple[str, str]:
    """(name, public suffix): ``vip.126.com`` → (``vip.126``, ``com``); an unlisted last
    label counts as a suffix (``gmail.con`` → (``gmail``, ``con``)), and a domain that is a
    public suffix itself splits at its first dot (``mil.ru`` → (``mil``, ``ru``))."""
    registrable = base_domain(domain)
    if registrable is None:
        name, _, rest = domain.partition(".")
        return name, rest
    suffix = registrable.partition(".")[2]
    return domain[: -len(suffix) - 1], suffix


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` with every choice of up to ``depth`` letters left out."""
    found = {word}
    level = {word}
    for _ in range(depth):
        level = {w[:i] + w[i + 1 :] for w in level for i in range(len(w))}
        found |= level
    return found


def budget(name: str) -> float:
    """The most a suggestion of ``name`` may cost: one edit when short, two otherwise."""
    return EDIT if len(name) <= SHORT_NAME else MAX_EDITS * EDIT


class TypoIndex:
    """Known domains from one or more lists, indexed for :meth:`suggest`."""

    def __init__(self, *lists: Iterable[str]) -> None:
        self._known: set[str] = set()
        self._by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)  # (suffix, domain)
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for domains in lists:
            for domain in domains:
                self._add(domain)
        self._longest = max((len(name) for name in self._by_name), default=0)

    def _add(self, domain: str) -> None:
        if domain in self._known:
            return
        self._known.add(domain)
        name, suffix = split(domain)
        if not name:
            return
        if name not in self._by_name:
            depth = 1 if len(name) <= SHORT_NAME else MAX_EDITS
            for variant in _deletions(name, depth):
                self._by_deletion[variant].add(name)
        self._by_name[name].append((suffix, domain))

    def __len__(self) -> int:
        return len(self._known)

    def suggest(self, domain: str, limit: int = MAX_SUGGESTIONS) -> list[str]:
        """Up to ``limit`` known domains ``domain`` may be a typo of, the likeliest first
        (ties by name); none for a known domain or an invalid one."""
        try:
            typed = normalize_domain(domain)
        except InvalidAddress:
            return []
        if typed in self._known:
            return []
        name, suffix = split(typed)
        if not name or len(name) > self._longest + MAX_EDITS:
            return []
        names: set[str] = set()
        for variant in _deletions(name, MAX_EDITS):
            names.update(self._by_deletion.get(variant, ()))
        scored = []
        for known_name in names:
            allowed = budget(known_name)
            name_cost = distance(name, known_name, allowed)
            for known_suffix, known in self._by_name[known_name]:
                cost = name_cost + suffix_cost(suffix, known_suffix)
                if cost <= allowed:
                    scored.append((cost, known))
        return [known for _, known in sorted(scored)[:limit]]


def known_domains(db: ProviderDB) -> Iterator[str]:
    """Every ``domains`` entry of every provider record."""
    for record in db.records:
        yield from record.domains


_INDEXES: weakref.WeakKeyDictionary[ProviderDB, TypoIndex] = weakref.WeakKeyDictionary()


def index_for(db: ProviderDB) -> TypoIndex:
    """The index of ``db``'s domains and its ISPDB snapshot's, built on first use and
    kept while ``db`` lives."""
    index = _INDEXES.get(db)
    if index is None:
        snapshot = db.snapshot.domains if db.snapshot is not None else ()
        index = _INDEXES[db] = TypoIndex(known_domains(db), snapshot)
    return index


# What the domain's MX lookup came to when the domain may well be a typo: it does not
# exist, or DNS gave no answer about it. A domain that answered is someone's, however
# close to a known one.
UNANSWERED = frozenset(
    {TraceOutcome.NO_SUCH_NAME, TraceOutcome.DNS_TIMEOUT, TraceOutcome.DNS_FAILED}
)


def typo_suggestions(found: Discovery, db: ProviderDB) -> list[str]:
    """Known domains ``found.domain`` may be a typo of, when DNS said it does not exist
    or did not answer for it; none for a domain that answered."""
    mx = [a.outcome for a in found.trace if a.source is Source.MX and a.target == found.domain]
    if DiscoveryFinding.DOMAIN_NOT_FOUND not in found.findings and not (
        mx and set(mx) <= UNANSWERED
    ):
        return []
    return index_for(db).suggest(found.domain)
