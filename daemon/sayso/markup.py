"""Markdown (and plain text) to spoken blocks.

markdown-it-py parses the text; headings, list items, paragraphs, quotes and
table rows become :class:`Block` objects carrying only what should be read:
emphasis markers disappear, links are read as their text, images as their
alt text and code blocks are announced ("code block, 12 lines") rather than
spelled out.  Plain text goes through the same parser: indented code blocks
are disabled so an indented paragraph is still read as a paragraph.
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
    """Yield the readable blocks of *text* (markdown or plain) in order."""
    tokens = _MD.parse(text)
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

