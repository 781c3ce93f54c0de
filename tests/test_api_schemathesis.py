"""The OpenAPI schema tells the truth: schemathesis runs every operation against it, in-process.

As a client generator would, it reads the schema the example project serves at /api/schema/
and throws schema-valid and schema-invalid requests at each operation through the WSGI app
(examples, coverage and fuzzing phases, as ``st run`` does), checking that every answer is one
the schema lists, with the content type, headers and body it declares, and that what the schema
forbids is refused. Bounded (25 generated examples per operation), derandomized and without
deadlines, so it gives the same verdict on every run.
"""

from __future__ import annotations

import base64
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.wsgi import get_wsgi_application
from schemathesis.engine import Status, events, from_schema

from django_attentive import send_bulk, send_message
from django_attentive.models import OutboundMessage
from django_attentive.models import Status as MessageStatus
from django_attentive.sending.delivery import deliver
from tests.test_api import run_example_project

# The WSGI app is called from schemathesis's worker thread: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "positive_data_acceptance",
    "use_after_free",
    "ensure_resource_availability",
]

OPERATIONS = {
    "GET /attentive/api/messages/",
    "POST /attentive/api/messages/",
    "GET /attentive/api/messages/{id}/",
    "POST /attentive/api/messages/{id}/resend/",
    "POST /attentive/api/messages/{id}/cancel/",
    "POST /attentive/api/campaigns/",
    "GET /attentive/api/campaigns/{id}/",
}
PHONE_RULED = {
    "GET /attentive/api/messages/",
    "POST /attentive/api/messages/",
    "POST /attentive/api/campaigns/",
}


@pytest.fixture(scope="module")
def demo_schema() -> dict:
    """The schema exactly as the example project serves it at /api/schema/."""
    result = run_example_project("spectacular", "--format", "openapi-json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def existing_texts() -> None:
    """A queued, a sent and a failed text, so ids 1 to 3 reach past the 404; campaign 1."""
    send_message("+12015550123", "Queued")
    sent = send_message("+12015550124", "Sent")
    deliver(sent.pk)
    failed = send_message("+12015550125", "Failed")
    OutboundMessage.objects.filter(pk=failed.pk).update(status=MessageStatus.FAILED)
    send_bulk(["+12015550126", "+12015550127"], "Spring sale", campaign="Spring")


@dataclass
class Run:
    problems: list[str]  # each distinct mismatch, with one request that shows it
    answers: dict[str, Counter[int]]  # per operation, how often each status came back


def run_schemathesis(raw_schema: dict, headers: dict[str, str]) -> Run:
    """Every operation of ``raw_schema`` tested against the app in-process."""
    config = schemathesis.Config.from_dict(
        {
            "seed": 20240101,
            "headers": headers,
            "workers": 1,
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "generation": {"max-examples": 25, "deterministic": True, "database": "none"},
            "phases": {"stateful": {"enabled": False}},
            "operations": [
                {
                    # Whether a number can be texted is libphonenumber's call and ALLOWED_REGIONS',
                    # which no schema can say: a schema-valid `to` may still be a 400 here.
                    "include-name": list(PHONE_RULED),
                    "checks": {"positive_data_acceptance": {"enabled": False}},
                }
            ],
        }
    )
    schema = schemathesis.openapi.from_dict(raw_schema, config=config)
    schema.app = get_wsgi_application()
    problems: dict[tuple[str, str, str], str] = {}
    answers: dict[str, Counter[int]] = defaultdict(Counter)
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None:
                    answers[event.label][interaction.response.status_code] += 1
        if isinstance(event, events.ScenarioFinished) and event.status == Status.FAILURE:
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status == Status.FAILURE:
                        failure = check.failure_info.failure
                        problems.setdefault(
                            (event.label, check.name, failure.title),
                            f"{event.label}: {check.name}: {failure.title}\n{failure.message}\n"
                            f"{check.failure_info.code_sample}",
                        )
        elif isinstance(event, events.NonFatalError):
            problems.setdefault((event.label, "error", ""), event.info.format())
        elif isinstance(event, events.FatalError):
            problems.setdefault(("", "fatal", ""), str(event.exception))
    return Run(list(problems.values()), dict(answers))


def test_every_operation_answers_as_its_schema_says(demo_schema, existing_texts, settings):
    settings.REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.BasicAuthentication"]
    }
    get_user_model().objects.create_superuser("schemathesis", "st@example.com", "pw")
    credentials = base64.b64encode(b"schemathesis:pw").decode()
    run = run_schemathesis(demo_schema, {"Authorization": f"Basic {credentials}"})
    assert not run.problems, f"{len(run.problems)} mismatches:\n\n" + "\n\n".join(run.problems)
    # Not a vacuous pass: every operation was reached, logged in, and succeeded at least once.
    assert set(run.answers) == OPERATIONS
    for label, statuses in run.answers.items():
        assert any(200 <= status < 300 for status in statuses), (label, statuses)
