"""Formulas readable offline: ``:math:`` and ``.. math::`` rendered as HTML text while the
docs are built, with no MathJax, no script and nothing fetched from a CDN.

LaTeX needs a TeX installation to pre-render formulas as images (``sphinx.ext.imgmath``),
which the docs build does not require. The formulas in these docs use a small part of LaTeX,
and this extension turns that part into HTML: letters in italics, Greek letters and
operators as Unicode characters, sub- and superscripts, fractions stacked with CSS, roots
with a bar, ``\\bar x`` with an overline, cases one per line. The text stays searchable and
can be copied. A command it does not know is a build warning (an error with ``-W``), never
silently shown as raw LaTeX.
"""

from __future__ import annotations

import html
import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

SYMBOLS = {
    **{
        g: chr(c)
        for g, c in (
            ("alpha", 0x3B1),
            ("beta", 0x3B2),
            ("gamma", 0x3B3),
            ("delta", 0x3B4),
            ("epsilon", 0x3F5),
            ("varepsilon", 0x3B5),
            ("zeta", 0x3B6),
            ("eta", 0x3B7),
            ("theta", 0x3B8),
            ("kappa", 0x3BA),
            ("lambda", 0x3BB),
            ("mu", 0x3BC),
            ("nu", 0x3BD),
            ("xi", 0x3BE),
            ("pi", 0x3C0),
            ("rho", 0x3C1),
            ("sigma", 0x3C3),
            ("tau", 0x3C4),
            ("phi", 0x3C6),
            ("chi", 0x3C7),
            ("psi", 0x3C8),
            ("omega", 0x3C9),
            ("Gamma", 0x393),
            ("Delta", 0x394),
            ("Theta", 0x398),
            ("Lambda", 0x39B),
            ("Pi", 0x3A0),
            ("Sigma", 0x3A3),
            ("Phi", 0x3A6),
            ("Psi", 0x3A8),
            ("Omega", 0x3A9),
        )
    },
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "pm": "±",
    "mp": "∓",
    "times": "×",
    "cdot": "·",
    "in": "∈",
    "notin": "∉",
    "subseteq": "⊆",
    "subset": "⊂",
    "infty": "∞",
    "top": "⊤",
    "approx": "≈",
    "sim": "∼",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "ldots": "…",
    "cdots": "⋯",
    "dots": "…",
    "prime": "′",
    "partial": "∂",
    "cup": "∪",
    "cap": "∩",
    "mid": "∣",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "ln": "ln",
    "log": "log",
    "exp": "exp",
    "max": "max",
    "min": "min",
    "sup": "sup",
    "inf": "inf",
    "#": "#",
    "{": "{",
    "}": "}",
    "%": "%",
    "&": "&amp;",
    "_": "_",
    "$": "$",
    ",": "\u2009",
    ";": "\u2005",
    ":": "\u2005",
    "!": "",
    " ": " ",
    "quad": "\u2003",
    "qquad": "\u2003\u2003",
}
OPERATOR_NAMES = {"ln", "log", "exp", "max", "min", "sup", "inf"}
#: sizing commands that only change the size of the delimiter that follows
SIZING = {"left", "right", "bigl", "bigr", "Bigl", "Bigr", "big", "Big", "biggl", "biggr", "middle"}
TEXT_COMMANDS = {"text", "mathrm", "operatorname", "textrm", "mathit", "mathsf", "mbox"}
ACCENTS = {"hat": "\u0302", "tilde": "\u0303", "dot": "\u0307", "vec": "\u20d7"}

_TOKEN = re.compile(r"\\([A-Za-z]+|.)|(\s+)|(.)", re.S)


class UnknownCommandError(ValueError):
    pass


def tokenize(tex: str) -> list[str]:
    out = []
    for m in _TOKEN.finditer(tex):
        if m.group(1) is not None:
            out.append("\\" + m.group(1))
        elif m.group(2) is not None:
            out.append(" ")
        else:
            out.append(m.group(3))
    return out


class _Parser:
    def __init__(self, tex: str) -> None:
        self.toks = tokenize(tex)
        self.i = 0
        self.bare = False  # reading one argument: its scripts belong to what it is an argument of

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self) -> str:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def skip_space(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def raw_group(self) -> str:
        """The raw text of the next ``{...}`` group (or single token), for \\text and environments."""
        self.skip_space()
        if self.peek() != "{":
            return self.next()
        self.next()
        depth, parts = 1, []
        while self.peek() is not None:
            tok = self.next()
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    break
            parts.append(tok[1:] if tok in ("\\{", "\\}") else tok)
        return "".join(parts)

    def argument(self) -> str:
        """One argument: a group, a command (with its own arguments) or one character."""
        self.skip_space()
        if self.peek() == "{":
            self.next()
            saved, self.bare = self.bare, False
            try:
                return self.sequence(until="}")
            finally:
                self.bare = saved
        saved, self.bare = self.bare, True
        try:
            return self.atom()
        finally:
            self.bare = saved

    def sequence(self, until: str | None = None) -> str:
        out = []
        while self.peek() is not None:
            if until is not None and self.peek() == until:
                self.next()
                break
            if until is None and self.peek() == "}":
                self.next()  # a stray closing brace ends nothing: drop it
                continue
            out.append(self.atom())
        return "".join(out)

    def scripts(self, base: str) -> str:
        if self.bare:
            return base
        while self.peek() in ("^", "_"):
            tag = "sup" if self.next() == "^" else "sub"
            base += f"<{tag}>{self.argument()}</{tag}>"
        return base

    def atom(self) -> str:
        tok = self.next()
        if tok == " ":
            return ""
        if tok == "{":
            return self.scripts(self.sequence(until="}"))
        if tok in ("^", "_"):
            self.i -= 1
            return self.scripts("")
        if tok == "'":
            return self.scripts("′")
        if tok == "&":
            return "\u2003"
        if not tok.startswith("\\"):
            text = f"<i>{html.escape(tok)}</i>" if tok.isalpha() else html.escape(tok)
            if tok in "=<>±≤≥+−-" or tok == ",":
                text = {"-": "−"}.get(tok, text)
                text = f" {text} " if tok != "," else ", "
            return self.scripts(text)
        name = tok[1:]
        if name == "\\":
            return "<br>"
        if name in SIZING:
            self.skip_space()
            delim = self.next() if self.peek() is not None else ""
            return "" if delim == "." else html.escape(delim.lstrip("\\"))
        if name in ("frac", "tfrac", "dfrac"):
            num, den = self.argument(), self.argument()
            return self.scripts(f'<span class="frac"><span>{num}</span><span>{den}</span></span>')
        if name == "sqrt":
            return self.scripts(f'√<span class="radicand">{self.argument()}</span>')
        if name == "bar" or name == "overline":
            return self.scripts(f'<span class="bar">{self.argument()}</span>')
        if name in ACCENTS:
            return self.scripts(self.argument() + ACCENTS[name])
        if name == "mathbf":
            return self.scripts(f"<b>{self.argument()}</b>")
        if name in TEXT_COMMANDS:
            return self.scripts(html.escape(self.raw_group()))
        if name == "begin":
            env = self.raw_group()
            if env != "cases":
                raise UnknownCommandError(f"\\begin{{{env}}}")
            body = []
            while self.peek() is not None and self.peek() != "\\end":
                body.append(self.atom())
            self.next()
            self.raw_group()
            return '<span class="cases">{</span><span class="cases-body">' + "".join(body) + "</span>"
        if name in SYMBOLS:
            sym = SYMBOLS[name]
            if name in OPERATOR_NAMES:
                sym = f"{sym}\u2009"
            elif name in (
                "le",
                "leq",
                "ge",
                "geq",
                "ne",
                "neq",
                "pm",
                "mp",
                "times",
                "in",
                "notin",
                "subseteq",
                "approx",
                "to",
                "rightarrow",
            ):
                sym = f" {sym} "
            return self.scripts(sym)
        raise UnknownCommandError(tok)


def to_html(tex: str) -> str:
    """A LaTeX formula (the part these docs use) as HTML text.

    >>> to_html(r"\\bar x = \\sum x / n")
    '<span class="bar"><i>x</i></span> = ∑<i>x</i>/<i>n</i>'
    """
    return _Parser(tex.strip()).sequence().strip()


def _render(self: Any, node: nodes.Element, block: bool) -> None:
    tex = node.astext()
    try:
        body = to_html(tex)
    except (UnknownCommandError, IndexError) as exc:
        logger.warning("formula not rendered (%s): %s", exc, tex, location=node)
        body = html.escape(tex)
    if block:
        self.body.append(f'<div class="math aspire-math">{body}</div>\n')
    else:
        self.body.append(f'<span class="math aspire-math">{body}</span>')
    raise nodes.SkipNode


def visit_math(self: Any, node: nodes.Element) -> None:
    _render(self, node, block=False)


def visit_displaymath(self: Any, node: nodes.Element) -> None:
    _render(self, node, block=True)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_html_math_renderer("aspire_text", (visit_math, None), (visit_displaymath, None))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
