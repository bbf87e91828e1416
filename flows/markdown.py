"""Course Markdown to Telegram HTML: the few things Telegram can show, all else as text."""

from __future__ import annotations

import html
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token

__all__ = ["to_telegram_html"]

# Raw HTML in the source is shown as text, never passed through.
_PARSER = MarkdownIt("commonmark", {"html": False}).disable("image")
_INLINE_TAGS = {
    "strong_open": "<b>",
    "strong_close": "</b>",
    "em_open": "<i>",
    "em_close": "</i>",
    "link_close": "</a>",
    "softbreak": " ",
    "hardbreak": "\n",
}


def _inline(children: Sequence[Token]) -> str:
    out: list[str] = []
    for token in children:
        if token.type == "text":
            out.append(html.escape(token.content, quote=False))
        elif token.type == "code_inline":
            out.append(f"<code>{html.escape(token.content, quote=False)}</code>")
        elif token.type == "link_open":
            href = html.escape(str(token.attrs.get("href", "")), quote=True)
            out.append(f'<a href="{href}">')
        elif token.type in _INLINE_TAGS:
            out.append(_INLINE_TAGS[token.type])
        else:
            out.append(html.escape(token.content, quote=False))
    return "".join(out)


def to_telegram_html(markdown: str) -> str:
    """Paragraphs, headings (bold), **bold**, *italic*, links, `code`, lists and quotes."""
    blocks: list[str] = []
    lists: list[int] = []  # the next number per open list; -1 for bullets
    quote = 0
    heading = new_item = in_list_block = False
    for token in _PARSER.parse(markdown):
        kind = token.type
        if kind == "bullet_list_open":
            lists.append(-1)
        elif kind == "ordered_list_open":
            lists.append(int(token.attrs.get("start", 1) or 1))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            in_list_block = bool(lists)
        elif kind == "list_item_open":
            new_item = True
        elif kind in ("heading_open", "heading_close"):
            heading = kind == "heading_open"
        elif kind in ("blockquote_open", "blockquote_close"):
            quote += 1 if kind == "blockquote_open" else -1
        elif kind in ("fence", "code_block"):
            blocks.append(f"<pre>{html.escape(token.content.rstrip(), quote=False)}</pre>")
            in_list_block = False
        elif kind == "inline":
            text = _inline(token.children or [])
            if heading:
                text = f"<b>{text}</b>"
            if lists:
                indent = "   " * (len(lists) - 1)
                if new_item:
                    marker = "•" if lists[-1] < 0 else f"{lists[-1]}."
                    if lists[-1] >= 0:
                        lists[-1] += 1
                    text = f"{indent}{marker} {text}"
                    new_item = False
                else:
                    text = f"{indent}   {text}"
                if in_list_block:
                    blocks[-1] += "\n" + text
                else:
                    blocks.append(text)
                    in_list_block = True
                continue
            if quote:
                text = f"<blockquote>{text}</blockquote>"
            blocks.append(text)
    return "\n\n".join(blocks)
