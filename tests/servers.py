"""pytest plugin (``-p tests.servers`` in pyproject.toml): a test run without DATABASE_URL /
REDIS_URL gets the embedded servers under var/, started here — before pytest-django imports the
settings, which start nothing themselves."""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    chosen = os.environ.get("DJANGO_SETTINGS_MODULE")
    from peacecase import devservers  # importing the package sets DJANGO_SETTINGS_MODULE (celery.py)

    if chosen is None:
        # Leave the choice to pytest-django (pyproject's peacecase.settings_test), not celery.py's default.
        os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    devservers.ensure_environment()
