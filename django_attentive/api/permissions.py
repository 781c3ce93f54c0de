"""Who may read and who may send: the app's model permissions, checked per request method."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.views import APIView

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, PermissionsMixin

VIEW_PERMISSION = "django_attentive.view_outboundmessage"
SEND_PERMISSION = "django_attentive.send_message"


class MessagePermission(BasePermission):
    """Reading needs ``view_outboundmessage``; sending, resending, cancelling ``send_message``."""

    message = "You do not have permission to do this."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        needed = VIEW_PERMISSION if request.method in SAFE_METHODS else SEND_PERMISSION
        if user.has_perm(needed):
            return True
        self.message = f"You need the {needed} permission to do this."
        return False


def may_view(user: PermissionsMixin | AnonymousUser) -> bool:
    """Whether answers may show a text's content, not just that the action was done."""
    return user.has_perm(VIEW_PERMISSION)


def sender(request: Request) -> AbstractBaseUser | None:
    """The signed-in user behind a request, recorded as who sent (None if anonymous)."""
    user = request.user
    return user if isinstance(user, AbstractBaseUser) else None
