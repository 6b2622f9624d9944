"""Nothing in the repository points outside it.

Docstrings, comments, tests, notebooks and scenario files cite their sources by name (a Kafka source
file, a KIP, a paper, a URL), never by a path on a development machine, which a reader of the
repository cannot open. This test reads every text file git tracks and looks for such paths.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Absolute paths of a development machine: a home directory (Linux, macOS), a scratch or work area.
_MACHINE_PATH = re.compile(r"(?<![\w.:/-])/(?:work|tmp|home/[\w.-]+|Users/[\w.-]+|root)/")


def machine_paths(text: str) -> list[str]:
    """The lines of ``text`` that name a path on a development machine."""
    return [line.strip() for line in text.splitlines() if _MACHINE_PATH.search(line)]


def test_the_pattern():
    # The examples are assembled so that this file does not name such a path itself.
    slash = "/"
    assert machine_paths(f"see {slash}work/shared/reference/kafka-defaults.md")
    assert machine_paths(f"``{slash}home/alice/kafka/ProducerConfig.java``")
    assert machine_paths(f"open('{slash}tmp/out.csv')") and machine_paths(f"{slash}Users/bob/x")
    assert machine_paths(f"{slash}root/a")
    assert not machine_paths("https://example.org/work/tmp/ and docs/work/ and a/tmp/b")
    assert not machine_paths("clients/src/main/java/org/apache/kafka/clients/producer/ProducerConfig.java")


def tracked_files() -> list[Path]:
    if shutil.which("git") is None or not (REPO_ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True)
    return [REPO_ROOT / name for name in out.stdout.decode().split("\0") if name]


def test_no_tracked_text_file_names_a_development_machine_path():
    found = []
    for path in tracked_files():
        if not path.is_file():
            continue  # deleted in the working tree
        data = path.read_bytes()
        if b"\0" in data:
            continue  # binary (images)
        for line in machine_paths(data.decode("utf-8", errors="replace")):
            found.append(f"{path.relative_to(REPO_ROOT)}: {line[:160]}")
    assert not found, "paths outside the repository (cite the source by name instead):\n" + "\n".join(found)
