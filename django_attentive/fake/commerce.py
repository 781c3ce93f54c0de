"""The fake's eCommerce, identity and custom-attribute endpoints: Attentive's checks on
their bodies (its OpenAPI document), as pure functions the endpoint table in ``core`` uses.

Imports nothing (not even the rest of the fake): each check takes the fake's knobs and the
parsed JSON body and returns None (accepted) or (status, reason).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

ECOMMERCE_PATHS = (
    "/v1/events/ecommerce/product-view",
    "/v1/events/ecommerce/add-to-cart",
    "/v1/events/ecommerce/purchase",
)
IDENTIFY_PATH = "/v1/identity-resolution/user-identifiers"
ATTRIBUTES_PATH = "/v1/attributes/custom"

E164 = re.compile(r"\+[1-9]\d{6,14}")
USER_KEYS = frozenset({"phone", "email", "externalIdentifiers"})
MAX_IDENTIFIER_LENGTH = 100

Rejection = tuple[int, str] | None


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def rfc3339_ok(value: object) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        return datetime.fromisoformat(value).tzinfo is not None
    except ValueError:
        return False


def check_user(user: object) -> Rejection:
    """``EventUser``: an object with a phone (E.164) or an email, nothing else unknown."""
    if not isinstance(user, dict) or not user:
        return 400, "user is required and must identify someone (phone or email)"
    unknown = sorted(set(user) - USER_KEYS)
    if unknown:
        return 400, f"user has unknown properties: {', '.join(unknown)}"
    phone, email = user.get("phone"), user.get("email")
    if phone is not None and not (isinstance(phone, str) and E164.fullmatch(phone)):
        return 400, "user.phone must be in E.164 format, e.g. +13115552368"
    if email is not None and not (isinstance(email, str) and "@" in email):
        return 400, "user.email is not an email address"
    if not phone and not email:
        return 400, "user.phone is required if user.email is not provided"
    external = user.get("externalIdentifiers")
    if external is not None:
        client_id = external.get("clientUserId") if isinstance(external, dict) else None
        if not isinstance(external, dict) or not isinstance(client_id, str | None):
            return 400, "user.externalIdentifiers.clientUserId must be a string"
    return None


def _check_item(position: int, item: object) -> Rejection:
    where = f"items[{position}]"
    if not isinstance(item, dict):
        return 400, f"{where} must be an object"
    for key in ("productId", "productVariantId"):
        if not isinstance(item.get(key), str) or not item[key].strip():
            return 400, f"{where}.{key} is required and must be a string"
    prices = item.get("price")
    if not isinstance(prices, list) or not prices:
        return 400, f"{where}.price must be a list of at least one {{value, currency}}"
    for price in prices:
        if not isinstance(price, dict) or not _is_number(price.get("value")):
            return 400, f"{where}.price[].value is required and must be a number"
        if "currency" in price and not isinstance(price["currency"], str):
            return 400, f"{where}.price[].currency must be a string"
    quantity = item.get("quantity")
    if quantity is not None and (not isinstance(quantity, int) or isinstance(quantity, bool)):
        return 400, f"{where}.quantity must be an integer"
    for key in ("name", "productUrl", "productImage"):
        if key in item and not isinstance(item[key], str):
            return 400, f"{where}.{key} must be a string"
    return None


def check_ecommerce(config: object, payload: dict[str, Any]) -> Rejection:
    """Product view, add to cart, purchase: ``items`` and ``user`` required."""
    items = payload.get("items")
    if not isinstance(items, list):
        return 400, "items is required and must be a list"
    for position, item in enumerate(items):
        if (rejection := _check_item(position, item)) is not None:
            return rejection
    if "occurredAt" in payload and not rfc3339_ok(payload["occurredAt"]):
        return 400, "occurredAt must be an ISO 8601 date-time with an offset"
    return check_user(payload.get("user"))


def check_identify(config: object, payload: dict[str, Any]) -> Rejection:
    """A clientUserId (or custom identifiers) with at least one other identifier."""
    for key in ("phone", "email", "shopifyId", "klaviyoId", "clientUserId"):
        value = payload.get(key)
        if value is not None and (not isinstance(value, str) or len(value) > 100):
            return 400, f"{key} must be a string of at most {MAX_IDENTIFIER_LENGTH} characters"
    phone = payload.get("phone")
    if phone is not None and not E164.fullmatch(phone):
        return 400, "phone must be in E.164 format, e.g. +13115552368"
    if not payload.get("clientUserId") and not payload.get("customIdentifiers"):
        return 400, "clientUserId or customIdentifiers is required"
    others = [k for k in ("phone", "email", "shopifyId", "klaviyoId") if payload.get(k)]
    if not others:
        return 400, "a client user identifier needs at least one other identifier"
    return None


def check_attributes(config: object, payload: dict[str, Any]) -> Rejection:
    """``properties`` (flat values: Attentive refuses arrays) and a ``user``."""
    properties = payload.get("properties")
    if not isinstance(properties, dict) or not properties:
        return 400, "properties is required and must be an object"
    for name, value in properties.items():
        if isinstance(value, list | dict):
            return 400, f"properties.{name}: arrays and objects are not supported"
    return check_user(payload.get("user"))


def event_name(path: str) -> str:
    """``"/v1/events/ecommerce/add-to-cart"`` -> ``"add-to-cart"``, for the inbox."""
    return path.rstrip("/").rsplit("/", 1)[-1]
