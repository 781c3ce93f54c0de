import pytest
from django.core.management import CommandError, call_command

from django_attentive.models import OutboundMessage, Source, Status

pytestmark = pytest.mark.django_db(transaction=True)


def test_attentive_send_sends_over_http_and_prints_the_outcome(fake, capsys):
    call_command("attentive_send", "+1 201 555 0123", "Hello from the shell", "--transactional")
    assert "sent" in capsys.readouterr().out
    message = OutboundMessage.objects.get()
    assert (message.status, message.source) == (Status.SENT, Source.CLI)
    assert [(m["to"], m["body"], m["type"]) for m in fake.messages] == [
        ("+12015550123", "Hello from the shell", "TRANSACTIONAL")
    ]


def test_attentive_send_reports_bad_input_by_field(fake):
    with pytest.raises(CommandError, match="to: 'not-a-number' is not a phone number"):
        call_command("attentive_send", "not-a-number", "Hi")
    assert OutboundMessage.objects.count() == 0


def test_attentive_send_fails_loudly_when_attentive_refuses(fake):
    fake.configure(opted_out=["+12015550123"])
    with pytest.raises(CommandError, match="was not sent"):
        call_command("attentive_send", "+12015550123", "Hi")
    assert OutboundMessage.objects.get().status == Status.FAILED
