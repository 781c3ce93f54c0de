"""The test settings with Django's default SQLite options: no IMMEDIATE, no WAL, 5 s timeout.

What a project gets when it points DATABASES at a SQLite file and nothing more.
"""

from .settings import *  # noqa: F403
from .settings import DATABASES

DATABASES["default"].pop("OPTIONS", None)
DATABASES["default"].pop("TEST", None)
