import threading
import time

from django_attentive.sending.ratelimit import TokenBucket


def test_bucket_holds_threads_to_the_rate():
    bucket = TokenBucket(50, burst=1)
    taken = []

    def take():
        for _ in range(10):
            bucket.acquire()
            taken.append(time.monotonic())

    threads = [threading.Thread(target=take) for _ in range(4)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    assert len(taken) == 40
    assert elapsed >= 39 / 50 * 0.95  # 40 tokens at 50/s after one burst token


def test_zero_rate_means_no_limit():
    bucket = TokenBucket(0)
    start = time.monotonic()
    for _ in range(10000):
        bucket.acquire()
    assert time.monotonic() - start < 1
