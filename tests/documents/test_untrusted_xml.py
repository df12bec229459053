"""Untrusted XML goes through defusedxml: no module of app/ parses XML any other way.

The XML app/ reads (Autodiscover requests, fetched autoconfig documents) comes from
outside; the standard library's parsers expand entities and read DTDs. ElementTree may
still build and write documents, and ``xml.sax.saxutils`` may escape text.
"""

from __future__ import annotations

import ast
from pathlib import Path

import app

APP = Path(app.__file__).parent

# Modules that parse XML and are not defusedxml.
PARSER_MODULES = ("pyexpat", "xml.parsers", "xml.dom", "xml.sax", "lxml", "xmltodict")
ALLOWED_MODULES = ("xml.sax.saxutils",)
ETREE_MODULES = ("xml.etree.ElementTree", "xml.etree.cElementTree")
ETREE_PARSERS = {"fromstring", "fromstringlist", "parse", "iterparse", "XML", "XMLID"}
ETREE_PARSERS |= {"XMLParser", "XMLPullParser"}


def _is(module: str, names: tuple[str, ...]) -> bool:
    return any(module == n or module.startswith(n + ".") for n in names)


def offences(source: str) -> list[str]:
    """Each import of a non-defused parser, and each use of ElementTree's parsing."""
    found: list[str] = []
    etree_names: set[str] = set()  # names bound to the stdlib ElementTree module
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is(alias.name, PARSER_MODULES) and not _is(alias.name, ALLOWED_MODULES):
                    found.append(f"line {node.lineno}: import {alias.name}")
                if alias.name in ETREE_MODULES:
                    etree_names.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            module = node.module
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if _is(module, PARSER_MODULES) and not _is(full, ALLOWED_MODULES):
                    found.append(f"line {node.lineno}: from {module} import {alias.name}")
                if full in ETREE_MODULES:
                    etree_names.add(alias.asname or alias.name)
                if module in ETREE_MODULES and alias.name in ETREE_PARSERS:
                    found.append(f"line {node.lineno}: from {module} import {alias.name}")
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ETREE_PARSERS
            and ast.unparse(node.value) in etree_names
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_parses_xml_without_defusedxml() -> None:
    bad = {
        str(path.relative_to(APP.parent)): found
        for path in sorted(APP.rglob("*.py"))
        if (found := offences(path.read_text(encoding="utf-8")))
    }
    assert bad == {}


def test_the_check_sees_each_way_round_it() -> None:
    sneaky = """
import pyexpat
import xml.etree.ElementTree as ET
from xml.etree import ElementTree
from xml.etree.ElementTree import XMLParser
from xml.dom import minidom
from xml.sax import make_parser
ET.fromstring(b"")
ElementTree.parse("x")
"""
    assert len(offences(sneaky)) == 6
    allowed = """
import xml.etree.ElementTree as ET
from xml.etree.ElementTree import Element, ParseError
from xml.sax.saxutils import escape
from defusedxml import ElementTree
ElementTree.fromstring(b"")
ET.tostring(ET.Element("a"))
"""
    assert offences(allowed) == []
