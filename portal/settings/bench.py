"""Settings for `make bench`: the test settings, plus the two ceiling views when BENCH_VIEWS=1.

Never used in production: the views live in ``bench/``, which the image does not contain.
"""

from .test import *  # noqa: F403
from .test import env

if env.bool("BENCH_VIEWS", default=False):
    ROOT_URLCONF = "bench.urls"
