"""Signals the shop sends (order_event) and the app sends (message_sent, message_failed)."""

from django.dispatch import Signal

#: Sent by the shop: ``order_event.send(sender=Order, order=order, event="placed", phone=None)``.
order_event = Signal()

#: Sent by the app once Attentive accepted a message: ``(sender, message)``.
message_sent = Signal()

#: Sent by the app when a message ends without being sent: ``(sender, message, error)``.
message_failed = Signal()
