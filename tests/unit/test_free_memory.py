"""Freed memory goes back to the system: glibc's malloc_trim is found and called periodically."""

import threading

from assistant.ops.stack import free_memory


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def test_trim_returns_freed_heap_pages_to_the_system():
    trim = free_memory.malloc_trim()
    assert trim is not None  # the machines run glibc
    trim()
    chunks = [bytearray(100_000) for _ in range(2_000)]  # ~200 MB in small mmap-free heap chunks
    for chunk in chunks[::2]:
        chunk[0] = 1
    grown = rss_kb()
    del chunks[:-1]  # all but the last: the heap's top stays in use, so only a trim can give pages back
    before = rss_kb()
    assert trim() in (0, 1)
    assert rss_kb() < before - 50_000 and before > grown - 50_000


def test_the_trimming_thread_calls_trim_every_interval(monkeypatch):
    calls = threading.Semaphore(0)
    monkeypatch.setattr(free_memory, "malloc_trim", lambda: lambda: calls.release() or 1)
    stop = threading.Event()
    thread = free_memory.trim_periodically(every_s=0.01, stop=stop)
    assert thread is not None and thread.daemon
    assert all(calls.acquire(timeout=5) for _ in range(3))
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
