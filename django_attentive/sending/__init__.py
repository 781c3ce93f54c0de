"""The runtime that sends: Django Tasks tasks, the after-commit dispatch, the worker engine,
the rate limit and the auth pause. It sits above the outbox, which never imports it."""
