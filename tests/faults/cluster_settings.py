"""The test settings for real `qcluster` processes.

Tasks go through the ORM broker instead of running where they are queued, and the scheduler
runs at once: django-q2 calls it when 30 s of guard cycles have passed, so with a 30 s cycle
that is the first one, right after the cluster starts.
"""

from smplat.settings.test import *  # noqa: F403

Q_CLUSTER = {**Q_CLUSTER, "sync": False, "guard_cycle": 30, "workers": 1}  # noqa: F405
