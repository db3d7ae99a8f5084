import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# CI clones the repo with shared/ beside it; this checkout lives at <work>/main.
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture
def user_package(tmp_path):
    """`user_package(name, {module: source})`: a package of a user's own code under tmp_path (the
    sources dedented); returns its folder (put tmp_path on the path to import it)."""
    def write(name: str, modules: dict[str, str]) -> Path:
        pkg = tmp_path / name
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        for module, source in modules.items():
            (pkg / f"{module}.py").write_text(textwrap.dedent(source))
        return pkg
    return write


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"shared test data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def ray_local():
    """One in-process Ray for the tests that run recipes in this process."""
    import logging
    import os

    import ray
    # Unit tests hand Ray functions defined in test modules (GlobalContext.map on a helper): the
    # local workers find them on their path. Recipes' custom stages travel by runtime_env instead.
    if ray.is_initialized():        # a test before ran a recipe in-process (Ray started by the runner)
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING,
             runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join([str(REPO / "tests"), str(REPO)])}})
    yield
    ray.shutdown()


def pytest_collection_modifyitems(config, items):
    """Long tests (whole recipes in their own processes, ~10-100 s each) run first: `make test`
    spreads the suite over two pytest workers (xdist), and a long test started last would end
    the suite alone while the other worker sits idle. Tests marked `last` run at the end: after
    JAX has started its threads in a process, a fork there (the extract sandbox, multiprocessing)
    may deadlock. The long ones start longest first (`seconds`: about what each takes here, alone on
    a quiet 2-core machine); with `--dist loadfile` their files go first. Otherwise the order is unchanged."""
    def key(item):
        long = item.get_closest_marker("long")
        if long is not None:
            return 0, -long.kwargs.get("seconds", 10)
        return (2 if item.get_closest_marker("last") else 1), 0
    items.sort(key=key)
