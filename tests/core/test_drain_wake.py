"""An idle queue loop wakes as soon as it is told there is work, not after its poll."""

import threading
import time

from core.jobs import drain


def run_in_thread(**kwargs) -> tuple[threading.Thread, list[float]]:
    passes: list[float] = []

    def step() -> int:
        passes.append(time.monotonic())
        return 0

    thread = threading.Thread(target=drain, args=(step,), kwargs=kwargs)
    thread.start()
    return thread, passes


def wait_for(predicate, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_a_wake_starts_the_next_pass_at_once_instead_of_after_the_poll():
    stop, wake = threading.Event(), threading.Event()
    thread, passes = run_in_thread(poll=30, seconds=float("inf"), stop=stop, wake=wake)
    try:
        assert wait_for(lambda: len(passes) == 1)
        time.sleep(0.1)
        assert len(passes) == 1  # idle: waiting out its 30 s poll
        woken_at = time.monotonic()
        wake.set()
        assert wait_for(lambda: len(passes) == 2, timeout=2)
        assert passes[1] - woken_at < 1
        time.sleep(0.1)
        assert len(passes) == 2  # the wake was used up: back to waiting
    finally:
        stop.set()
        wake.set()
        thread.join(timeout=5)
    assert not thread.is_alive()


def test_without_a_wake_the_loop_waits_for_its_poll():
    stop = threading.Event()
    thread, passes = run_in_thread(poll=0.3, seconds=float("inf"), stop=stop)
    try:
        assert wait_for(lambda: len(passes) >= 2)
        assert passes[1] - passes[0] >= 0.29
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
