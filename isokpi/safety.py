"""Text from uploads and people made safe for where it goes: one helper per destination.

- plain: Streamlit markdown (no links, images, formatting or directives from user text);
- plotly_text: chart titles, labels and hover text (plotly reads <tags> as markup);
- html_text: the HTML pack;
- spreadsheet_cell: a CSV or Excel cell (no formula runs when the file is opened);
- export_text: a line of text in a PowerPoint, Excel or HTML export (cell-safe, no control characters).
Every one of them also drops bidirectional-override characters, which can make text read backwards
("invoice.exe" shown as "exe.ecoivni").
"""

from __future__ import annotations

import html
import re

from isokpi import format as fmt

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder the text around them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Control characters XML (so PowerPoint and Excel files) cannot hold; pasted text sometimes carries them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#!|<>~$:.@])")
# Streamlit's markdown (GitHub-flavoured) also links "www.", "http://" and e-mail addresses it finds in the text
# once escapes are read, so escaping cannot stop it: an invisible word joiner (U+2060) after "@" and ":" and
# between "www" and its dot breaks each of those patterns and changes nothing a reader sees.
_AUTOLINK = re.compile(r"(?<=\\[@:])|(?<=[wW]{3})(?=\\\.)")
WORD_JOINER = "\u2060"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def without_bidi(text: str) -> str:
    return BIDI_CONTROLS.sub("", text)


def plain(text: object) -> str:
    """User text (file names, headers, values in messages) for Streamlit markdown, shown exactly as typed.

    Punctuation that markdown reads is escaped, and "www.example.com", "http://..." or an e-mail address never
    becomes a link (an invisible word joiner breaks each: copied from the page, such text carries it).
    """
    escaped = _MARKDOWN.sub(r"\\\1", " ".join(without_bidi(str(text)).split()))
    escaped = _AUTOLINK.sub(WORD_JOINER, escaped)
    # A list or heading marker at the start: "- x", "+ x", "= x", "1. x".
    escaped = re.sub(r"^(\d+)([.)])", r"\1\\\2", escaped)
    return re.sub(r"^([-+=])", r"\\\1", escaped)


def plotly_text(text: object) -> object:
    """Text for plotly, escaped, keeping only our own line breaks (<br>); non-text values pass through.

    Unescaping first makes it safe to apply twice."""
    if not isinstance(text, str):
        return text
    text = " ".join(without_bidi(text).split("\n"))
    return html.escape(html.unescape(text), quote=False).replace("&lt;br&gt;", "<br>")


def spreadsheet_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (formula injection)."""
    if not isinstance(value, str):
        return value
    value = without_bidi(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def export_text(value: object) -> str:
    """One line or cell of text for an export: None as empty, numbers as people read them, control
    characters dropped, formula starts neutralised line by line."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt.value(value)
    text = _CONTROL.sub("", str(value))
    return "\n".join(str(spreadsheet_cell(line)) for line in text.split("\n"))


def html_text(value: object) -> str:
    """Any text into HTML: made export-safe, then escaped (quotes too, so it is safe in attributes)."""
    return html.escape(export_text(value), quote=True)


def css_string(value: object) -> str:
    """Any text as a CSS string literal (a printed page's running header), quotes included: made export-safe,
    then every character but letters, digits and spaces written as a CSS escape (six hex digits and the space that
    ends it), so nothing can end the string, the rule or the <style> element."""
    return (
        '"'
        + "".join(
            ch if ch.isalnum() and ch.isascii() or ch == " " else f"\\{ord(ch):06x} "
            for ch in " ".join(export_text(value).split())
        )
        + '"'
    )
