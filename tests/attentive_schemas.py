"""Request bodies of Attentive's eCommerce, identity and custom-attribute endpoints, as its
OpenAPI document defines them (components ProductViewRequest, AddToCartRequest,
PurchaseRequest, ProductRequest, Price, EventUser, ExternalIdentifiers, IdentifyRequestDto,
CustomAttributesRequest), for checking what we post against what Attentive takes.

``validate(path, payload)`` checks the spec's required keys and types, and (``strict``) that
nothing outside the spec's properties is sent.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

import jsonschema

PRICE = {
    "type": "object",
    "properties": {"value": {"type": "number"}, "currency": {"type": "string"}},
    "required": ["value"],
}
PRODUCT_REQUEST = {
    "type": "object",
    "properties": {
        "productId": {"type": "string"},
        "productVariantId": {"type": "string"},
        "productImage": {"type": "string"},
        "productUrl": {"type": "string"},
        "name": {"type": "string"},
        "price": {"type": "array", "minItems": 1, "items": PRICE},
        "quantity": {"type": "integer"},
    },
    "required": ["productId", "productVariantId", "price"],
}
EXTERNAL_IDENTIFIERS = {
    "type": "object",
    "properties": {
        "clientUserId": {"type": "string"},
        "customIdentifiers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
            },
        },
    },
}
EVENT_USER = {
    "type": "object",
    "properties": {
        "phone": {"type": "string"},
        "email": {"type": "string"},
        "externalIdentifiers": EXTERNAL_IDENTIFIERS,
    },
    "additionalProperties": False,
    "minProperties": 1,
}
ECOMMERCE_REQUEST = {  # ProductViewRequest, AddToCartRequest and PurchaseRequest are alike
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": PRODUCT_REQUEST},
        "occurredAt": {"type": "string", "format": "date-time"},
        "user": EVENT_USER,
    },
    "required": ["items", "user"],
}
IDENTIFY_REQUEST = {
    "type": "object",
    "properties": {
        "phone": {"type": "string"},
        "email": {"type": "string"},
        "shopifyId": {"type": "string"},
        "klaviyoId": {"type": "string"},
        "clientUserId": {"type": "string"},
        "customIdentifiers": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
                "required": ["name", "value"],
            },
        },
    },
}
CUSTOM_ATTRIBUTES_REQUEST = {
    "type": "object",
    "properties": {"properties": {"type": "object"}, "user": EVENT_USER},
    "required": ["properties", "user"],
}
SCHEMAS = {
    "/v1/events/ecommerce/product-view": ECOMMERCE_REQUEST,
    "/v1/events/ecommerce/add-to-cart": ECOMMERCE_REQUEST,
    "/v1/events/ecommerce/purchase": ECOMMERCE_REQUEST,
    "/v1/identity-resolution/user-identifiers": IDENTIFY_REQUEST,
    "/v1/attributes/custom": CUSTOM_ATTRIBUTES_REQUEST,
}


def _closed(schema: Any) -> Any:
    """Every object schema with properties also refuses keys it does not list."""
    if isinstance(schema, dict):
        schema = {
            key: {name: _closed(part) for name, part in value.items()}
            if key == "properties"
            else _closed(value)
            for key, value in schema.items()
        }
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
    return schema


def validate(path: str, payload: dict[str, Any], *, strict: bool = True) -> None:
    """Raise jsonschema.ValidationError unless ``payload`` is what ``path`` takes."""
    schema = copy.deepcopy(SCHEMAS[path])
    jsonschema.validate(payload, _closed(schema) if strict else schema)
    if "occurredAt" in payload:  # RFC 3339, with its offset
        assert datetime.fromisoformat(payload["occurredAt"]).tzinfo is not None
