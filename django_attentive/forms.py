"""Forms a shop puts in front of customers: the consent checkbox and the sign-up form.

``ConsentField`` is the checkbox for a shop's own form (checkout, account sign-up)::

    class CheckoutForm(forms.Form):
        phone = forms.CharField()
        texts = ConsentField()                      # marketing texts
        order_texts = ConsentField("TRANSACTIONAL")  # order updates

It is never ticked in advance, is labelled with the disclosure built from
ATTENTIVE["CONSENT"], and posts the SHA-256 of the words it showed: a visitor who saw other
words (the settings changed meanwhile) is asked to read them again. Its cleaned value is True
only when the box was ticked; then call ``record_consent``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import lazy
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from . import conf
from .disclosure import MARKETING, Disclosure, check_type, disclosure
from .subscriptions import MAX_EMAIL_LENGTH, check_email
from .validation import normalize_phone

#: The longest phone number anyone types (E.164 is 16 characters; spaces and dashes add more).
MAX_PHONE_INPUT = 40
WORDING_CHANGED = (
    "The wording of this agreement changed while the page was open. Read it again and tick "
    "the box if you agree."
)


def disclosure_html(shown: Disclosure) -> SafeString:
    """The disclosure as a label: the same text, with the terms and privacy links clickable."""
    html = str(escape(shown.text))
    settings = conf.consent()
    for key in ("TERMS_URL", "PRIVACY_URL"):
        url = str(settings[key] or "").strip()
        if url:
            link = format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)
            html = html.replace(str(escape(url)), link)
    return mark_safe(html)  # noqa: S308 - built from escaped text and format_html links


def _label(subscription_type: str) -> SafeString:
    return disclosure_html(disclosure(subscription_type))


_lazy_label = lazy(_label, SafeString)


class ConsentCheckbox(forms.CheckboxInput):
    """A checkbox whose value is the SHA-256 of the disclosure it is shown with."""

    def __init__(self, subscription_type: str, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, check_test=self._is_current)
        self.subscription_type = subscription_type

    def _is_current(self, value: object) -> bool:
        return value == disclosure(self.subscription_type).sha256

    def get_context(self, name: str, value: object, attrs: dict[str, Any] | None) -> dict[str, Any]:
        attrs = {**(attrs or {}), "value": disclosure(self.subscription_type).sha256}
        return super().get_context(name, value, attrs)

    def format_value(self, value: object) -> str | None:
        return None  # the value attribute is always the digest (set in get_context)

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name) or ""


class ConsentField(forms.Field):
    """Consent to texts of ``subscription_type``: a checkbox that is never ticked in advance.

    Cleans to True (ticked, after the words shown) or False. ``required=True`` makes ticking
    it mandatory, which the rules forbid for marketing texts at checkout: use it only on a
    form whose whole purpose is signing up.
    """

    widget = ConsentCheckbox

    def __init__(self, subscription_type: str = MARKETING, **kwargs: Any) -> None:
        self.subscription_type = check_type(subscription_type)
        if kwargs.get("initial") not in (None, False):
            raise ValueError(
                "A ConsentField is never ticked in advance: consent must be the visitor's own "
                "act. Remove initial=…"
            )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", mark_safe(_lazy_label(self.subscription_type)))
        kwargs["widget"] = ConsentCheckbox(self.subscription_type)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if value is True:
            raise ValueError(
                "A ConsentField is never ticked in advance; do not give it True as initial data."
            )
        return value

    def to_python(self, value: Any) -> bool:
        if value in (None, "", False, "off"):
            return False
        if value != disclosure(self.subscription_type).sha256:
            raise ValidationError(WORDING_CHANGED, code="wording_changed")
        return True

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(data) if data else False

    @property
    def disclosure(self) -> Disclosure:
        """The words this field shows now (its label's plain text)."""
        return disclosure(self.subscription_type)


class _Printable:
    """Never echo control characters (NUL included) back into the page."""

    def format_value(self, value: Any) -> str | None:
        text = super().format_value(value)  # type: ignore[misc]
        return None if text is None else "".join(c for c in text if ord(c) >= 32)


class PrintableTextInput(_Printable, forms.TextInput):
    pass


class PrintableEmailInput(_Printable, forms.EmailInput):
    pass


class SubscribeForm(forms.Form):
    """The storefront sign-up form: a mobile number, an optional email, and the consent box."""

    phone = forms.CharField(
        label="Mobile number",
        max_length=MAX_PHONE_INPUT,
        widget=PrintableTextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text="US, Canadian or UK mobile number, e.g. +1 201 555 0123.",
    )
    email = forms.CharField(
        label="Email (optional)",
        required=False,
        max_length=MAX_EMAIL_LENGTH,
        widget=PrintableEmailInput(attrs={"autocomplete": "email"}),
    )
    consent = ConsentField(MARKETING, required=True)
    #: One random token per page shown, so a double submit subscribes once.
    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent"].error_messages["required"] = (
            "Tick the box to agree to receive texts; nothing is sent otherwise."
        )

    def clean_phone(self) -> str:
        try:
            return normalize_phone(_printable(self.cleaned_data["phone"], "phone number"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc

    def clean_email(self) -> str:
        value = self.cleaned_data["email"]
        if not value:
            return ""
        try:
            return check_email(_printable(value, "email address"))
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


def _printable(value: str, what: str) -> str:
    """Refuse control characters (NUL included) with a message, before anything parses them."""
    if any(ord(char) < 32 for char in value):
        raise ValueError(f"The {what} contains a control character; type it again.")
    return value
