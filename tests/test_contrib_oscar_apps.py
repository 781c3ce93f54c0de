"""The django-oscar adapter's app: both ways of naming it in INSTALLED_APPS give one config.

Runs everywhere: building the config imports neither Oscar nor the adapter's receivers.
"""

from __future__ import annotations

import sys

import pytest
from django.apps import AppConfig


@pytest.mark.parametrize(
    "entry",
    ["django_attentive.contrib.oscar", "django_attentive.contrib.oscar.AttentiveOscarConfig"],
)
def test_the_adapter_has_its_own_label_however_it_is_named(entry):
    config = AppConfig.create(entry)
    assert type(config).__name__ == "AttentiveOscarConfig"
    assert config.label == "attentive_oscar"  # "oscar" is Oscar's own label
    assert config.name == "django_attentive.contrib.oscar"


def test_naming_the_app_does_not_import_oscar():
    had_oscar = "oscar" in sys.modules
    AppConfig.create("django_attentive.contrib.oscar")
    assert ("oscar" in sys.modules) == had_oscar
