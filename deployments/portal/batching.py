"""One thread that handles items put by many requests, in batches (the intake's group commit).

The idea intake stores submissions through a `Batcher`: every request puts its form and awaits
the future; one thread takes whatever is waiting (up to `max_batch`) and handles it in one go —
one transaction and one commit for the whole batch — then answers each future. Under load the
batches grow by themselves, so the cost of a commit (an fsync on SQLite) is shared. The ideas it
stored go to a second `Batcher` that announces them (events, one `.delay()` per batch).

A batcher with `pause_seconds` waits that long after each batch, so that under load its batches
grow to `max_batch` (the answers' announcer: a few large requests to the Prefect API instead of
many small ones); an item arriving at a quiet time is still handled at once.

The thread starts when the first item arrives and stops after `idle_seconds` without work, so
an app that is never shut down (a test client without its lifespan) leaves no thread behind.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """Items put from any thread, handled in order by one thread, up to MAX_BATCH at a time.

    `handle` gets a list of items and returns one result per item, in the same order; if it
    raises, every future of that batch gets the exception. An item whose future was cancelled
    before its batch started is left out (nobody waits for its answer).
    """

    def __init__(
        self,
        handle: Callable[[list[T]], list[R]],
        *,
        name: str,
        max_batch: int,
        idle_seconds: float = 1.0,
        pause_seconds: float = 0.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._handle = handle
        self._name = name
        self._max_batch = max_batch
        self._idle_seconds = idle_seconds
        self._pause_seconds = pause_seconds
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def put(self, item: T) -> Future[R]:
        """Queue ITEM; the future holds its result once its batch is handled."""
        future: Future[R] = Future()
        with self._lock:
            self._queue.put((item, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return future

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything put so far is handled and the thread has stopped."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=self._idle_seconds)
            except queue.Empty:
                # stop only if nothing arrived meanwhile: `put` starts a new thread under the
                # same lock, so no item is ever left without a thread
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < self._max_batch:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._process(batch)
            if self._pause_seconds:
                time.sleep(self._pause_seconds)  # let the next batch gather

    def _process(self, batch: list[tuple[T, Future[R]]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            results = self._handle([item for item, _ in live])
            if len(results) != len(live):
                raise RuntimeError(
                    f"{self._name}: {len(results)} results for a batch of {len(live)}"
                )
        except Exception as exc:
            # the type only: a database error's text carries the statement's parameters (PII)
            logger.warning(
                "%s: a batch of %d failed (%s)", self._name, len(live), type(exc).__name__
            )
            for _, future in live:
                future.set_exception(exc)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)
