"""A faithful local stand-in for Attentive's ``POST /v1/messages``, for demos, tests and benchmarks.

Run it standalone (``manage.py attentive_fake_server`` or ``FakeAttentiveServer``) or mount
``django_attentive.fake.urls`` in a project; see docs/fake.md.
"""

from .core import FAULT_KINDS, FakeAttentive, FakeConfig, FakeResponse, RecordedMessage, fake
from .server import FakeAttentiveServer

__all__ = [
    "FAULT_KINDS",
    "FakeAttentive",
    "FakeAttentiveServer",
    "FakeConfig",
    "FakeResponse",
    "RecordedMessage",
    "fake",
]
