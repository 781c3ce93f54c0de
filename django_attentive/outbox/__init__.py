"""The outbox: the only code that creates outbox rows or changes their status.

One module a job: ``intake`` and ``bulk`` store new rows, ``screening`` decides at admission
and right before sending, ``leases`` hands rows to workers, ``outcomes`` records what a request
did, ``suppressions`` keeps the suppression list, ``retention`` purges. It asks for delivery
through ``handoff`` and never imports the runtime that sends (``django_attentive.sending``).
"""
