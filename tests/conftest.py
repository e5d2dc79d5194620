import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import SHARED_DATA


@pytest.fixture
def shared_data():
    if not SHARED_DATA.is_dir():
        pytest.skip("needs ../shared/data beside the repository (the project's development data)")
    return SHARED_DATA
