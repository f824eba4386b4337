# The dashboard dataset is shared with the reporting tests.
from tests.reporting.conftest import payments  # noqa: F401
