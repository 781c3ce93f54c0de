from decimal import Decimal

from django import forms

from django_attentive.forms import ConsentField
from django_attentive.validation import normalize_phone

ITEMS = {
    "mug": ("Attentive mug", Decimal("12.00")),
    "tee": ("O'Brien & Sons T-shirt", Decimal("24.50")),
    "box": ("Mystery box", Decimal("49.90")),
}


class CheckoutForm(forms.Form):
    customer_name = forms.CharField(label="Your name", max_length=100, initial="Ada Lovelace")
    phone = forms.CharField(
        label="Mobile number",
        max_length=32,
        initial="+1 201 555 0123",
        help_text="US, CA or UK; texts go to the fake Attentive in the demo.",
    )
    item = forms.ChoiceField(
        choices=[(key, f"{name} — ${price}") for key, (name, price) in ITEMS.items()]
    )
    # Two separate boxes, both unticked: order updates, and marketing. Neither is required to
    # buy (consent is never a condition of purchase).
    order_texts = ConsentField("TRANSACTIONAL")
    marketing_texts = ConsentField("MARKETING")

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["phone"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
