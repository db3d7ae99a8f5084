from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI clones the repo with shared/ beside it; this checkout lives at <work>/main.
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ray_local():
    """One in-process Ray for the tests that run recipes in this process."""
    from pipeline.executor import start_ray
    import ray
    start_ray(num_cpus=2)
    yield
    ray.shutdown()
