"""Every exception class in app/ derives from MailsetupError and is drawn, where it sits,
in the tree of app/errors.py's docstring."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

import pytest

import app
import app.errors
from app.errors import MailsetupError

# A class line: the root at the left edge, or a ├──/└── connector after one "│   " or
# "    " per level; then the name, the builtin it mixes in, and what it means.
CLASS_LINE = re.compile(
    r"^    (?:(?P<indent>(?:[│ ]   )*)[├└]── )?"
    r"(?P<name>[A-Z]\w*)(?:\((?P<mixin>\w+)\))?(?:\s+(?P<text>.*))?$"
)
# A continuation line: more of the text of the class above.
MORE_LINE = re.compile(r"^    [│ ][│ ]*(?P<text>\S.*)$")
MODULE = re.compile(r"\((?P<module>app(?:\.\w+)+)\)$")


@dataclass
class Drawn:
    """One class as the tree draws it."""

    name: str
    parent: str | None
    mixin: str | None
    text: str

    @property
    def module(self) -> str:
        found = MODULE.search(self.text)
        return found["module"] if found else "app.errors"


def drawn_tree() -> dict[str, Drawn]:
    """The classes of the tree in app.errors' docstring, by name."""
    lines = (app.errors.__doc__ or "").splitlines()
    start = lines.index("    MailsetupError")
    tree: dict[str, Drawn] = {}
    path: list[str] = []
    last: Drawn | None = None
    for line in lines[start:]:
        if not line.strip():
            break
        if found := CLASS_LINE.match(line):
            depth = len(found["indent"]) // 4 + 1 if found["indent"] is not None else 0
            del path[depth:]
            last = Drawn(found["name"], path[-1] if path else None, found["mixin"], "")
            last.text = found["text"] or ""
            assert last.name not in tree, f"{last.name} is drawn twice"
            tree[last.name] = last
            path.append(last.name)
        elif (more := MORE_LINE.match(line)) and last is not None:
            last.text += " " + more["text"]
        else:
            pytest.fail(f"not a line of the tree: {line!r}")
    return tree


def app_exceptions() -> set[type[BaseException]]:
    """Every exception class defined in app/ (``python -m app`` would run the CLI)."""
    for module in pkgutil.walk_packages(app.__path__, "app."):
        if module.name != "app.__main__":
            importlib.import_module(module.name)
    found: set[type[BaseException]] = set()
    todo: list[type[BaseException]] = [BaseException]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return {cls for cls in found if cls.__module__.startswith("app.")}


CLASSES = app_exceptions()
EXCEPTIONS = {cls.__name__: cls for cls in CLASSES}
TREE = drawn_tree()


def test_the_tree_is_found() -> None:
    assert TREE["MailsetupError"].parent is None
    assert len(TREE) > 10


def test_exception_names_are_unique() -> None:
    assert len(EXCEPTIONS) == len(CLASSES), "two exception classes share a name"


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_every_exception_derives_from_the_root(name: str) -> None:
    assert issubclass(EXCEPTIONS[name], MailsetupError), f"{name} is not a MailsetupError"


@pytest.mark.parametrize("name", sorted(EXCEPTIONS))
def test_every_exception_is_drawn_where_it_sits(name: str) -> None:
    cls = EXCEPTIONS[name]
    assert name in TREE, f"draw {name} ({cls.__module__}) in the tree of app/errors.py"
    drawn = TREE[name]
    assert drawn.text or cls is MailsetupError, f"say what {name} means in the tree"
    assert drawn.module == cls.__module__, f"{name} is defined in {cls.__module__}"
    parents = {base.__name__ for base in cls.__bases__ if base.__module__.startswith("app.")}
    assert drawn.parent in parents or (drawn.parent is None and cls is MailsetupError), (
        f"{name} is drawn under {drawn.parent}, derives from {sorted(parents)}"
    )
    builtins = [
        base.__name__
        for base in cls.__bases__
        if not base.__module__.startswith("app.") and base is not Exception
    ]
    assert builtins == ([drawn.mixin] if drawn.mixin else []), (
        f"{name} mixes in {builtins}, the tree says {drawn.mixin}"
    )


def test_the_tree_draws_no_class_that_is_gone() -> None:
    gone = sorted(set(TREE) - set(EXCEPTIONS))
    assert not gone, f"the tree of app/errors.py draws classes that do not exist: {gone}"
