"""Which task statuses staff actions may start from."""

from .models import TaskStatus as S

RETRYABLE = frozenset({S.QUEUED, S.DEAD, S.WAITING_STAFF})
SKIPPABLE = frozenset({S.QUEUED, S.DEAD, S.WAITING_STAFF, S.RUNNING})
COMPLETABLE = frozenset({S.QUEUED, S.DEAD, S.WAITING_STAFF, S.RUNNING})
