"""The consent system checks: silent for projects that collect no consent."""

from __future__ import annotations

from django_attentive.consent_checks import check_consent

CONSENT = {
    "SHOP_NAME": "Acme",
    "TERMS_URL": "https://acme.test/terms",
    "PRIVACY_URL": "https://acme.test/privacy",
    "SIGN_UP_SOURCE_IDS": {"MARKETING": "357276", "TRANSACTIONAL": "357280"},
}


def ids(attentive, **consent) -> list[str]:
    attentive(CONSENT=consent)
    return [message.id for message in check_consent()]


def test_a_project_without_consent_settings_gets_no_consent_checks(settings):
    settings.ATTENTIVE = {k: v for k, v in settings.ATTENTIVE.items() if k != "CONSENT"}
    assert check_consent() == []


def test_complete_settings_pass(attentive):
    assert ids(attentive, **CONSENT) == []


def test_missing_links_or_name_are_errors(attentive):
    assert ids(attentive, **{**CONSENT, "TERMS_URL": "", "SHOP_NAME": ""}) == [
        "django_attentive.E030",
        "django_attentive.E030",
    ]


def test_a_missing_sign_up_source_is_a_warning(attentive):
    assert ids(attentive, **{**CONSENT, "SIGN_UP_SOURCE_IDS": {"MARKETING": "1"}}) == [
        "django_attentive.W032"
    ]


def test_an_override_missing_a_required_element_is_named(attentive):
    text = (
        "Get recurring automated marketing texts from {shop_name} at the number provided. "
        "Msg frequency varies. Msg & data rates may apply. Reply HELP for help, STOP to cancel. "
        "{terms_url} {privacy_url}"
    )
    attentive(CONSENT={**CONSENT, "DISCLOSURE": {"en-us": text}})
    (error,) = check_consent()
    assert error.id == "django_attentive.E032"
    assert "not a condition of purchase" in error.msg
    fixed = text.replace("Msg frequency", "Consent is not a condition of purchase. Msg frequency")
    assert ids(attentive, **{**CONSENT, "DISCLOSURE": {"en-us": fixed}}) == []


def test_a_lowercase_stop_does_not_count(attentive):
    text = (
        "Recurring automated marketing texts from Acme at the number provided. Consent is not "
        "a condition of purchase. Msg frequency varies. Msg & data rates may apply. Reply HELP "
        "for help, stop to cancel. https://acme.test/terms https://acme.test/privacy"
    )
    (error,) = [m for m in ids(attentive, **{**CONSENT, "DISCLOSURE": {"en": text}})]
    assert error == "django_attentive.E032"


def test_another_language_checks_name_and_links_and_asks_for_review(attentive):
    french = "Textos de {shop_name}. Conditions: {terms_url} Vie privée: {privacy_url}"
    assert ids(attentive, **{**CONSENT, "DISCLOSURE": {"fr-ca": french}}) == [
        "django_attentive.W033"
    ]
    no_links = {"fr-ca": {"TRANSACTIONAL": "Textos de {shop_name}."}}
    assert ids(attentive, **{**CONSENT, "DISCLOSURE": no_links}) == [
        "django_attentive.E032",
        "django_attentive.W033",
    ]


def test_bad_shapes_and_rates_are_errors(attentive):
    assert ids(attentive, **{**CONSENT, "DISCLOSURE": "text"}) == ["django_attentive.E031"]
    assert ids(attentive, **{**CONSENT, "DISCLOSURE": {"en": {"PROMO": "x"}}}) == [
        "django_attentive.E031"
    ]
    assert ids(attentive, **{**CONSENT, "FORM_RATE": "lots"}) == ["django_attentive.E033"]


def test_the_checks_run_with_manage_py_check(attentive):
    from django.core import checks

    attentive(CONSENT={**CONSENT, "PRIVACY_URL": ""})
    assert "django_attentive.E030" in [m.id for m in checks.run_checks()]
