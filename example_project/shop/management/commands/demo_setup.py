"""Create the demo's admin login once and print it. Demo only: refuses to run with DEBUG off."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

CREDENTIALS_FILE = Path(settings.BASE_DIR).parent / ".demo-admin"


class Command(BaseCommand):
    help = "Create the demo admin user (once) and print how to log in."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_setup creates a known login; it only runs with DEBUG on.")
        user_model = get_user_model()
        if CREDENTIALS_FILE.exists() and user_model.objects.filter(username="admin").exists():
            password = CREDENTIALS_FILE.read_text().strip()
        else:
            password = secrets.token_urlsafe(9)
            user, _ = user_model.objects.get_or_create(
                username="admin", defaults={"email": "admin@example.com"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            CREDENTIALS_FILE.write_text(password + "\n")
        port = getattr(settings, "DEMO_PORT", "8000")
        self.stdout.write(
            self.style.SUCCESS(
                f"\n  Demo admin: http://127.0.0.1:{port}/admin/"
                f"  user: admin  password: {password}\n"
            )
        )
        if settings.USE_FAKE_ATTENTIVE:
            self.stdout.write(
                f"  Texts go to the fake Attentive; its inbox: "
                f"http://127.0.0.1:{port}/fake-attentive/inbox/\n"
                f"  Try: python manage.py attentive_send +12015550123 'Hello from the demo'\n"
            )
        if apps.is_installed("rest_framework.authtoken"):
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user_model.objects.get(username="admin"))
            self.stdout.write(
                f"  REST API token (README, REST API): {token.key}\n"
                f"  Try: curl -H 'Authorization: Token {token.key}' "
                f"http://127.0.0.1:{port}/attentive/api/messages/\n"
            )
