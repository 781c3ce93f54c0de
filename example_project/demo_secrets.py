"""The demo's own secrets, made once per install and kept in a file the settings read.

A public default (a SECRET_KEY or webhook key written in the repository) would let anyone
forge sessions or signed webhooks on every copy of the demo; a random one per checkout
cannot be guessed. Real deployments set SECRET_KEY and ATTENTIVE_WEBHOOK_SECRET in the
environment, and then this file is never needed.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

#: name -> bytes of randomness for a fresh install.
SECRETS = {"SECRET_KEY": 50, "WEBHOOK_SECRET": 32}


def demo_secret(path: Path, name: str) -> str:
    """The install's value of ``name`` from ``path``, creating the file on first use."""
    values = _read(path)
    if values is None:
        _create(path)
        values = _read(path) or {}
    if not values.get(name):
        raise ImproperlyConfigured(
            f"{path} has no {name}; delete the file to make new demo secrets, or set "
            f"{name} in the environment."
        )
    return values[name]


def _read(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"Cannot read the demo secrets in {path} ({exc}); delete the file to make new ones."
        ) from None


def _create(path: Path) -> None:
    """Write fresh secrets where no other process has yet (the server and the worker start
    together): the complete file appears at once through a hard link, or not at all."""
    values = {name: secrets.token_urlsafe(size) for name, size in SECRETS.items()}
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(values, file)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made them first; theirs are the install's
        finally:
            temporary.unlink()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Cannot write the demo secrets to {path} ({exc}). Set SECRET_KEY (and "
            "ATTENTIVE_WEBHOOK_SECRET) in the environment, or DEMO_SECRETS_FILE to a "
            "writable place."
        ) from None
