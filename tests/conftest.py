"""Shared pytest setup: a headless matplotlib backend and the hypothesis "ci" profile.

The profile is loaded by default; set HYPOTHESIS_PROFILE (e.g. "default") to pick another, or pass
``--hypothesis-profile``.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
