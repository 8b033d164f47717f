"""What the tests share: the CLI to run, scratch stores, probes of what the CLI can do.

Run from a checkout with no build: when $WEIGHTLINE_CLI is not set, the
tests run the CLI from its TypeScript sources under tsx (node_modules/tsx),
as the repository's own tests do (test/helpers/cli-entry.ts).
"""

import functools
import hashlib
import os
import shlex
import shutil
import struct
import tempfile
import unittest
import json
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parent.parent.parent


@functools.lru_cache(maxsize=None)
def cli_words() -> Optional[List[str]]:
    """The CLI the tests run, or None when none can be found (every test then skips, saying so)."""
    given = os.environ.get("WEIGHTLINE_CLI", "").strip()
    if given:
        return shlex.split(given)
    tsx = REPO / "node_modules" / "tsx" / "dist" / "loader.mjs"
    node = shutil.which("node")
    if node and tsx.is_file():
        return [node, "--import", tsx.resolve().as_uri(), str(REPO / "test" / "helpers" / "cli-entry.ts")]
    return None


def use_cli() -> None:
    """Point the package at the tests' CLI (the package reads $WEIGHTLINE_CLI)."""
    words = cli_words()
    if words is None:
        raise unittest.SkipTest("no weightline CLI: set WEIGHTLINE_CLI, or run from a checkout with node and node_modules/tsx")
    os.environ["WEIGHTLINE_CLI"] = shlex.join(words)


def torch_missing() -> Optional[str]:
    """Why torch cannot be used here, or None."""
    try:
        import torch  # noqa: F401
    except ImportError as e:
        return f"needs torch (Debian python3-torch, /usr/bin/python3): {e}"
    return None


def sha256_file(path: "os.PathLike[str] | str") -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_safetensors(path: "os.PathLike[str] | str", tensors: Dict[str, List[float]]) -> None:
    """A float32 safetensors file of 1-D tensors (the format's header is JSON, so the standard library writes it)."""
    header = {}
    data = b""
    for name, values in tensors.items():
        raw = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": [len(values)], "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


class ScratchCase(unittest.TestCase):
    """A test with its own temporary folder (``self.dir``), removed after it."""

    def setUp(self) -> None:
        use_cli()
        self.dir = Path(tempfile.mkdtemp(prefix="weightline-py-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
