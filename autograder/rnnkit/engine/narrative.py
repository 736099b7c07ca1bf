"""The narrative format shared by homework notebooks (``solutions/<hw>/notebook.md``) and lectures
(``lectures/*.md``): markdown, ```python blocks, and directive lines naming code of a module::

    <!-- code: imports -->
    <!-- question: data: build_vocab vectorize -->

``rnnkit release`` and ``rnnkit lectures`` both read it; each decides what a block becomes.
"""

import re

from rnnkit.errors import KitError

_DIRECTIVE = re.compile(r"^<!--\s*(?P<kind>code|question):\s*(?P<body>.*?)\s*-->\s*$")
_FENCE = re.compile(r"^```python\s*$")
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class NotebookSourceError(KitError, ValueError):
    pass


def blocks(text):
    """The narrative as ("markdown" | "python" | "code" | "question", text) blocks, in order."""
    found, markdown, fence = [], [], None
    for line in text.splitlines():
        if fence is not None:
            if line.strip() == "```":
                found.append(("python", "\n".join(fence)))
                fence = None
            else:
                fence.append(line)
            continue
        directive = _DIRECTIVE.match(line)
        if directive or _FENCE.match(line):
            found.append(("markdown", "\n".join(markdown)))
            markdown = []
            if directive:
                found.append((directive["kind"], directive["body"]))
            else:
                fence = []
        else:
            markdown.append(line)
    if fence is not None:
        raise NotebookSourceError("a ```python block is never closed")
    found.append(("markdown", "\n".join(markdown)))
    return [(kind, body) for kind, body in found if kind != "markdown" or body.strip()]
