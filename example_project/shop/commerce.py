"""The demo shop's products as Attentive items (ATTENTIVE["COMMERCE_ITEM"] points here)."""

from __future__ import annotations

from .forms import ITEMS
from .models import Order


def product_item(key: str, *, quantity: int | None = None) -> dict[str, object]:
    """One of the shop's products in Attentive's names."""
    name, price = ITEMS[key]
    item: dict[str, object] = {"productId": key, "name": name, "price": price}
    if quantity is not None:
        item["quantity"] = quantity
    return item


def order_item(order: Order) -> dict[str, object]:
    """A demo order holds one product: the purchase event's single item."""
    key = next((k for k, (name, _) in ITEMS.items() if name == order.item), order.item)
    return {"productId": key, "name": order.item, "price": order.total, "quantity": 1}
