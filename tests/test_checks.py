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


def test_no_webhook_secret_warns(attentive):
    attentive(WEBHOOK_SECRET="")
    assert ids() == ["django_attentive.W007"]


def test_malformed_quiet_hours_is_an_error(attentive):
    attentive(QUIET_HOURS="21:00-08:00")
    errors = check_settings()
    assert [e.id for e in errors] == ["django_attentive.E006"]
    assert "QUIET_HOURS" in errors[0].msg


def test_quiet_hours_default_is_valid(attentive):
    attentive(QUIET_HOURS=("21:00", "08:00"))
    assert ids() == []
