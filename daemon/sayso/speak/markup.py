"""Markdown (and plain text) to spoken blocks.

markdown-it-py parses the text; headings, list items, paragraphs, quotes and
table rows become :class:`Block` objects carrying only what should be read:
emphasis markers disappear, links are read as their text, images as their
alt text and code blocks are announced ("code block, 12 lines") rather than
spelled out.  Plain text goes through the same parser: indented code blocks
are disabled so an indented paragraph is still read as a paragraph.

A long text is parsed a piece at a time (:func:`pieces`, cut at blank lines
where no markdown construct can span the cut), so the first blocks come out
without parsing the whole text: 100,000 characters take about 20 ms to parse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Literal

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .textnorm import words

BlockKind = Literal["paragraph", "heading", "list_item", "code", "quote", "table_row"]


@dataclass
class Block:
    kind: BlockKind
    text: str
    level: int = 0


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    md.disable("code")  # 4-space indented text is prose in a selection, not code
    return md


_MD = _parser()

PIECE_CHARS = 4000  # a long text is parsed this much (or a little more) at a time

# markdown that can reach across a blank line: a link reference definition
# (used anywhere in the text) or an HTML block (comments, <pre>...)
_SPANS_BLANK_LINES = re.compile(r"^ {0,3}(?:\[[^\]\n]+\]:|<[A-Za-z!?/])", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\n(?=\S)")  # the next block starts unindented
_FENCE = re.compile(r"^[ \t]*(```|~~~)", re.MULTILINE)


def pieces(text: str, size: int = PIECE_CHARS) -> Iterator[str]:
    """*text* in pieces of about *size* characters that parse like the whole.

    A cut is made only at a blank line followed by an unindented line (not a
    list item's continuation), outside code fences, and only when the text
    has no link reference definitions or HTML blocks; otherwise the text is
    one piece.
    """
    if len(text) <= size or _SPANS_BLANK_LINES.search(text):
        yield text
        return
    start = scanned = 0
    open_fences = {"```": False, "~~~": False}
    for m in _BLANK_LINE.finditer(text, size):
        if m.start() - start < size:
            continue
        for fence in _FENCE.finditer(text, scanned, m.start()):
            open_fences[fence.group(1)] = not open_fences[fence.group(1)]
        scanned = m.start()
        if any(open_fences.values()):
            continue  # inside a code block: the next blank line may do
        yield text[start : m.end()]
        start = m.end()
    if start < len(text):
        yield text[start:]


def _inline_text(token: Token) -> str:
    """Spoken text of an inline token: link text, alt text, code spans as is."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)  # link text is a text child; autolinks keep the URL for the normaliser
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "image":
            alt = child.content or "".join(c.content for c in child.children or [])
            if alt:
                out.append(alt)
        # em/strong/s/link open and close, html_inline: nothing to say
    return "".join(out)


def _code_announcement(content: str, lang: str) -> str:
    lines = content.rstrip("\n").count("\n") + 1 if content.strip() else 0
    w = words(lang)
    if lines == 1:
        return w["code_block_1"]
    return w["code_block"].format(n=lines)


def parse_blocks(text: str, lang: str = "en") -> Iterator[Block]:
    """Yield the readable blocks of *text* (markdown or plain) in order, lazily."""
    for piece in pieces(text):
        yield from _blocks(_MD.parse(piece), lang)


def _blocks(tokens: list[Token], lang: str) -> Iterator[Block]:
    stack: list[tuple[BlockKind, int]] = [("paragraph", 0)]
    row: list[str] = []
    in_row = False
    for tok in tokens:
        t = tok.type
        if t == "heading_open":
            stack.append(("heading", int(tok.tag[1:])))
        elif t == "list_item_open":
            stack.append(("list_item", 0))
        elif t == "blockquote_open":
            stack.append(("quote", 0))
        elif t in ("heading_close", "list_item_close", "blockquote_close") and len(stack) > 1:
            stack.pop()
        elif t in ("fence", "code_block"):
            yield Block("code", _code_announcement(tok.content, lang))
        elif t == "html_block":
            plain = re.sub(r"<[^>]+>", " ", tok.content).strip()
            if plain:
                yield Block("paragraph", plain)
        elif t == "tr_open":
            row, in_row = [], True
        elif t == "tr_close":
            in_row = False
            if any(cell.strip() for cell in row):
                yield Block("table_row", ", ".join(c.strip() for c in row if c.strip()))
        elif t == "inline":
            content = _inline_text(tok)
            if in_row:
                row.append(content)
            elif content.strip():
                kind, level = stack[-1]
                yield Block(kind, content.strip(), level)
