"""Create the demo admin login and order templates once, and print how to try them. DEBUG only."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from django_attentive.models import MessageTemplate


def credentials_file() -> Path:
    """Where the demo admin's password is kept: settings.DEMO_ADMIN_FILE, else .demo-admin."""
    default = Path(settings.BASE_DIR).parent / ".demo-admin"
    return Path(getattr(settings, "DEMO_ADMIN_FILE", default))


#: The demo shop's texts, one per order status; created once, then yours to edit in the admin.
ORDER_TEMPLATES = {
    "order_placed": "Thanks {{ order.customer_name }}! Order #{{ order.number }} "
    "({{ order.item }}, ${{ order.total }}) is confirmed.",
    "order_paid": "Payment received for order #{{ order.number }}. We're packing it now.",
    "order_shipped": "Good news {{ order.customer_name }}: order #{{ order.number }} has shipped!",
    "order_delivered": "Order #{{ order.number }} was delivered. Enjoy your {{ order.item }}!",
    "order_refunded": "We refunded ${{ order.total }} for order #{{ order.number }}.",
}


#: How many numbers the demo's campaign file holds (docs/campaigns.md).
DEMO_AUDIENCE = 2000


def demo_numbers_file() -> Path:
    """A file of fictional US numbers to paste into Compose for a campaign demo."""
    path = Path(settings.BASE_DIR).parent / "demo-numbers.txt"
    if not path.exists():
        path.write_text("".join(f"+1 201 555 {n:04d}\n" for n in range(DEMO_AUDIENCE)))
    return path


def seed_order_templates() -> int:
    """Create the missing order templates; returns how many were created."""
    created = 0
    for key, body in ORDER_TEMPLATES.items():
        created += MessageTemplate.objects.get_or_create(key=key, defaults={"body": body})[1]
    return created


class Command(BaseCommand):
    help = "Create the demo admin user and order templates (once) and print how to log in."

    def handle(self, *args: object, **options: object) -> None:
        if not settings.DEBUG:
            raise CommandError("demo_setup creates a known login; it only runs with DEBUG on.")
        user_model = get_user_model()
        credentials = credentials_file()
        if credentials.exists() and user_model.objects.filter(username="admin").exists():
            password = credentials.read_text().strip()
        else:
            password = secrets.token_urlsafe(9)
            user, _ = user_model.objects.get_or_create(
                username="admin", defaults={"email": "admin@example.com"}
            )
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            credentials.write_text(password + "\n")
        seeded = seed_order_templates()
        if seeded:
            self.stdout.write(f"  Created {seeded} order message templates.")
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
                f"  A campaign: paste {demo_numbers_file()} ({DEMO_AUDIENCE:,} numbers) into "
                f"Compose and name it; its page shows the progress, clicks and opt-outs.\n"
            )
        if settings.USE_FAKE_ATTENTIVE and not os.environ.get("ATTENTIVE_WEBHOOK_SECRET"):
            self.stdout.write(
                f"  Webhooks: the demo's signing key is WEBHOOK_SECRET in "
                f"{settings.DEMO_SECRETS_FILE}\n"
            )
        self.stdout.write(
            f"  Place an order: http://127.0.0.1:{port}/shop/ then mark it paid/shipped/"
            "delivered in the admin (Example shop › Orders); each step texts the customer.\n"
        )
        if apps.is_installed("rest_framework.authtoken"):
            from rest_framework.authtoken.models import Token

            token, _ = Token.objects.get_or_create(user=user_model.objects.get(username="admin"))
            self.stdout.write(
                f"  REST API token (README, REST API): {token.key}\n"
                f"  Try: curl -H 'Authorization: Token {token.key}' "
                f"http://127.0.0.1:{port}/attentive/api/messages/\n"
            )
