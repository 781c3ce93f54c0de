import pytest

from django_attentive.checks import check_settings


def ids(**overrides):
    return [message.id for message in check_settings()]


def test_default_test_settings_pass(attentive):
    assert check_settings() == []


def test_http_backend_without_token_is_an_error(attentive):
    attentive(BACKEND="django_attentive.backends.http.HttpBackend", API_TOKEN="")
    assert ids() == ["django_attentive.E001"]


def test_plain_http_base_url_warns(attentive):
    attentive(BASE_URL="http://attentive.example.com")
    assert ids() == ["django_attentive.W002"]


def test_plain_http_to_localhost_is_fine_for_the_fake(attentive):
    attentive(BASE_URL="http://127.0.0.1:8025")
    assert ids() == []


def test_unknown_region_code_is_an_error(attentive):
    attentive(ALLOWED_REGIONS=["US", "UK"])
    errors = check_settings()
    assert [e.id for e in errors] == ["django_attentive.E003"]
    assert "UK" in errors[0].msg


def test_unknown_backend_path_is_an_error(attentive):
    attentive(BACKEND="django_attentive.backends.nope.Backend")
    assert ids() == ["django_attentive.E004"]


def _attempt(outcome):
    from django.utils import timezone

    from django_attentive.models import OutboundMessage, SendAttempt

    message = OutboundMessage.objects.create(to="+12015550123", body="Hi")
    SendAttempt.objects.create(message=message, started_at=timezone.now(), outcome=outcome)


@pytest.mark.django_db
def test_database_check_reports_a_refused_token():
    from django_attentive.checks import check_token_accepted
    from django_attentive.models import Outcome

    _attempt(Outcome.AUTH)
    assert [e.id for e in check_token_accepted(databases=["default"])] == ["django_attentive.E006"]
    assert check_token_accepted() == []  # only with --database
    _attempt(Outcome.SENT)
    assert check_token_accepted(databases=["default"]) == []


@pytest.mark.django_db
def test_admin_list_shows_a_refused_token(admin_client):
    from django.urls import reverse

    from django_attentive.models import Outcome

    _attempt(Outcome.AUTH)
    page = admin_client.get(reverse("admin:django_attentive_outboundmessage_changelist"))
    assert "Attentive refused the API token" in page.content.decode()


def test_no_webhook_secret_warns(attentive):
    attentive(WEBHOOK_SECRET="")
    assert ids() == ["django_attentive.W007"]


def test_malformed_quiet_hours_is_an_error(attentive):
    attentive(QUIET_HOURS="21:00-08:00")
    errors = check_settings()
    assert [e.id for e in errors] == ["django_attentive.E008"]
    assert "QUIET_HOURS" in errors[0].msg


def test_quiet_hours_default_is_valid(attentive):
    attentive(QUIET_HOURS=("21:00", "08:00"))
    assert ids() == []


@pytest.mark.parametrize("value", ["fast", -1, None, True])
def test_a_rate_limit_that_is_not_a_rate_is_an_error(attentive, value):
    attentive(RATE_LIMIT=value)
    assert "django_attentive.E060" in ids()


def test_a_rate_limit_above_attentives_warns(attentive):
    attentive(RATE_LIMIT=300)
    assert "django_attentive.W060" in ids()
    attentive(RATE_LIMIT=150)
    assert "django_attentive.W060" not in ids()


@pytest.mark.parametrize(
    "value", [[10], {"v1/subscriptions": 10}, {"/v1/subscriptions": "ten"}, {"/v1/x": -1}]
)
def test_rate_limits_must_map_paths_to_rates(attentive, value):
    attentive(RATE_LIMITS=value)
    assert "django_attentive.E061" in ids()
    attentive(RATE_LIMITS={"/v1/subscriptions": 20, "/v1/events/custom": 0})
    assert "django_attentive.E061" not in ids()
