"""gunicorn settings: `gunicorn -c gunicorn.conf.py smplat.wsgi` (docs/operations.md, "Metrics").

With PROMETHEUS_MULTIPROC_DIR set, every worker writes django-prometheus' HTTP and database
metrics to files in that directory and a scrape of any worker merges them all, so the counters
do not depend on which worker Prometheus reached. The directory is emptied at every start (files
of an earlier run would be summed in), and a worker's live gauges are dropped when it exits.
The business families are read from the database and need none of this.
"""

import os
import shutil

from prometheus_client import multiprocess

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
# The app is loaded in each worker, after the directory is emptied.
preload_app = False


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
