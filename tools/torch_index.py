"""Print the pip option that selects PyTorch's CPU-only wheels, or nothing.

Used by the Makefile. On Linux, PyPI's torch wheel bundles CUDA (several GB);
the CPU build of the same release lives on PyTorch's own index. Elsewhere
(macOS, Windows) PyPI's wheel already is the CPU build. When the index cannot
be reached (an offline machine with a local package mirror), print nothing so
that pip uses what it has.
"""

from __future__ import annotations

import sys
import urllib.request


def main(index: str) -> str:
    if not index or not sys.platform.startswith("linux"):
        return ""
    try:
        with urllib.request.urlopen(index, timeout=5):
            pass
    except OSError:
        return ""
    return f"--extra-index-url {index}"


if __name__ == "__main__":
    print(main(sys.argv[1] if len(sys.argv) > 1 else ""))
