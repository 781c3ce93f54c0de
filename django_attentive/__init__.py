"""Text your shop's customers through Attentive.

``send_message``, ``send_bulk``, ``resend`` and ``cancel`` are the Python API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"
__all__ = ["cancel", "resend", "send_bulk", "send_message"]

if TYPE_CHECKING:
    from .services import cancel, resend, send_bulk, send_message


def __getattr__(name: str) -> object:
    # Imported lazily: the services need the app registry, which is not ready at import time.
    if name in __all__:
        from . import services

        return getattr(services, name)
    raise AttributeError(f"module 'django_attentive' has no attribute {name!r}")
