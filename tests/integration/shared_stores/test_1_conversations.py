"""The banking conversation tests, collected again here: they run on this package's stack (two Rasa
servers, Redis, PostgreSQL; see conftest.py), on the demo customer's fresh data."""

import pytest

from tests.integration.test_banking_conversations import *  # noqa: F401,F403

pytestmark = pytest.mark.integration
