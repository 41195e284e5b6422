"""Settings for worker subprocesses in the fault tests: e-mails go to files we can count."""

import os

from peacecase.settings_test import *  # noqa: F403

MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": os.environ["PEACECASE_TEST_MAIL_DIR"]},
    }
}
