"""A lecture's formulas as MathML, written into the page when it is built.

The pages then need no script to show math: browsers render MathML themselves, offline, and the
page loads nothing from the network (nbconvert's templates would load MathJax from a CDN). The
TeX between ``$...$`` (inline, possibly across a line break) and ``$$...$$`` (a display) in a markdown cell becomes a
``<math>`` element through latex2mathml; code spans and fenced code are left as they are.
"""

import re

from latex2mathml.converter import convert

# Code first, so that a dollar sign inside it is never read as math; then displays, then inline.
_PIECES = re.compile(
    r"(?P<fence>^```.*?^```)|(?P<code>`[^`\n]+`)|\$\$(?P<display>.+?)\$\$|(?<![\\$])\$(?P<inline>(?:[^$\n]|\n(?!\n))+?)\$",
    re.S | re.M,
)


class MathError(ValueError):
    """A formula latex2mathml cannot read (the lecture's TeX needs rewriting)."""


def _mathml(tex, display):
    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception as error:  # noqa: BLE001 - any parser failure is the formula's
        raise MathError(f"cannot render ${tex}$ as MathML: {error}") from None


def with_mathml(markdown):
    """``markdown`` with each formula replaced by its MathML."""
    def replace(match):
        if match["display"] is not None:
            return "\n\n" + _mathml(match["display"], display=True) + "\n\n"
        if match["inline"] is not None:
            return _mathml(match["inline"], display=False)
        return match[0]

    return _PIECES.sub(replace, markdown)
