import pytest

from tests.sessions.world import build_world


@pytest.fixture
def w():
    return build_world()
