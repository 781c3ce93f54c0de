"""Telling Attentive who a customer is when they log in or change their email.

Off unless ``ATTENTIVE["IDENTIFY_ON_LOGIN"] = True``. Then a login, and a saved change of the
user's email, queue ``identify(user)``: Attentive links the shop's ``clientUserId`` to the
person's email, so events posted with only the user still reach the right subscriber.
Never raises into the login: a user without an email is simply not identified.
"""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.db.models.signals import post_init, post_save

from . import conf, identify
from .exceptions import AttentiveError
from .identities import user_email

logger = logging.getLogger("django_attentive")

UID = "django_attentive.logins"
LOADED_EMAIL = "_attentive_loaded_email"


def identify_user(user: models.Model) -> None:
    """Queue ``identify(user)`` if the setting is on and the user has an email."""
    if not conf.identify_on_login() or not user_email(user):
        return
    try:
        identify(user)
    except AttentiveError as exc:
        logger.warning("Could not identify user #%s to Attentive: %s", user.pk, exc)


def on_login(sender: object, user: models.Model | None = None, **kwargs: object) -> None:
    if user is not None:
        identify_user(user)


def remember_email(sender: type[models.Model], instance: models.Model, **kwargs: object) -> None:
    field = getattr(sender, "get_email_field_name", lambda: "email")()
    setattr(instance, LOADED_EMAIL, instance.__dict__.get(field))


def on_user_saved(
    sender: type[models.Model],
    instance: models.Model,
    created: bool,
    raw: bool = False,
    **kwargs: object,
) -> None:
    """A saved, changed email is a new identifier for the same clientUserId."""
    field = getattr(sender, "get_email_field_name", lambda: "email")()
    before = getattr(instance, LOADED_EMAIL, None)
    now = instance.__dict__.get(field)
    setattr(instance, LOADED_EMAIL, now)
    if raw or created or now == before:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and field not in update_fields:  # type: ignore[operator]
        return
    identify_user(instance)


def connect() -> None:
    """Listen to logins and user saves (AttentiveConfig.ready does this)."""
    user_model = get_user_model()
    user_logged_in.connect(on_login, dispatch_uid=UID)
    post_init.connect(remember_email, sender=user_model, dispatch_uid=UID)
    post_save.connect(on_user_saved, sender=user_model, dispatch_uid=UID)
