"""Issue #16, "The mediator's day, right", in a real browser: the shuttle board agrees with itself,
times name their zone, the profile page is one click from every page, Swagger renders every
operation, the bell is a drawn icon, and the wide tables fit a tablet and a laptop."""

import pytest

from tests.dashboard.record_world import build
from tests.dashboard.shuttle_world import COUNTER, build_shuttle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def w(org):
    return build(org)


@pytest.fixture
def sw(w):
    return build_shuttle(w)


def test_shuttle_board_screenshot_before(page, live_server, login, w, sw, screenshot):
    login(w.mediator)
    page.goto(f"{live_server.url}/shuttle/{sw.round.pk}/")
    assert COUNTER in page.content()
    screenshot("shuttle_board_before")
