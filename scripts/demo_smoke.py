"""Smoke-test `make demo` the way a newcomer uses it (issues #2 and #4). Run by .venv's python.

Starts scripts/demo.sh on a free port with a throwaway SQLite database, then, in Debian's
chromium: logs in to the admin with the printed login, sends a text with
`manage.py attentive_send`, sees it sent (with its attempt) in the admin and in the fake inbox,
has the worker send a text composed to two numbers, places an order at /shop/ and marks it
shipped, each text landing in the inbox, opens Swagger UI with every non-local request blocked,
and runs the README's curl example with the printed API token. The demo's process group
(server, reloader, worker) is always killed at the end. docs/development.md has the details.

    .venv/bin/python scripts/demo_smoke.py        # exit 0 ok, 1 failed, 77 skipped (no chromium)

DEMO_SMOKE_TIMEOUT (seconds, default 300) bounds the demo's start; each check waits up to 90 s.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
CHROMIUM = os.environ.get("ATTENTIVE_BROWSER", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = float(os.environ.get("DEMO_SMOKE_TIMEOUT", "300"))
CHECK_TIMEOUT = 90.0
SKIPPED = 77  # automake's "skipped" exit status
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
PHONE = "+12015550123"
# Settings a developer may have exported that would take the demo off its newcomer defaults
# (a real ATTENTIVE_API_TOKEN would even text for real).
STRIPPED_ENV = ("DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")


class SmokeFailure(Exception):
    """A step of the newcomer flow did not do what README says it does."""


class PortTaken(SmokeFailure):
    """Another process took the free port before runserver bound it; try another."""


@dataclass
class Login:
    admin_url: str
    user: str
    password: str
    token: str


def say(message: str) -> None:
    print(f"demo-smoke: {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(
    what: str,
    probe: Callable[[], object],
    timeout: float = CHECK_TIMEOUT,
    seen: Callable[[], str] | None = None,
) -> object:
    """Call probe until it returns something truthy; SmokeFailure naming `what` on timeout.

    `seen` describes what was there instead, for the failure message.
    """
    deadline = time.monotonic() + timeout
    delay = 0.2
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            instead = f"; found instead:\n{seen()}" if seen else ""
            raise SmokeFailure(f"timed out after {timeout:.0f}s waiting for {what}{instead}")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)


class Demo:
    """scripts/demo.sh in its own process group, its output collected by a thread."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in STRIPPED_ENV and not key.startswith("ATTENTIVE_")
        }
        self.env.update(
            PORT=str(self.port),
            DATABASE_URL=f"sqlite:///{workdir / 'demo.sqlite3'}",
            DEMO_ADMIN_FILE=str(workdir / "demo-admin"),
            PYTHONUNBUFFERED="1",
        )
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            ["bash", str(ROOT / "scripts" / "demo.sh")],
            cwd=ROOT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: one killpg ends server and worker
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def login(self) -> Login | None:
        text = self.output()
        admin = re.search(r"Demo admin: (\S+)\s+user: (\S+)\s+password: (\S+)", text)
        token = re.search(r"REST API token \(README, REST API\): (\w+)", text)
        if admin and token:
            return Login(admin[1], admin[2], admin[3], token[1])
        return None

    def wait_ready(self) -> Login:
        def ready() -> Login | None:
            if self.process.poll() is not None:
                self.reader.join(timeout=10)
                if "That port is already in use" in self.output():
                    raise PortTaken(self.port)
                raise SmokeFailure(f"scripts/demo.sh exited with {self.process.returncode}")
            login = self.login()
            # The request line in the demo's log proves the answer came from this demo, not
            # from whatever else may have taken the port meanwhile.
            probe = "/admin/login/?demo-smoke-probe"
            if login and self._answers(probe) and f'"GET {probe} HTTP' in self.output():
                return login
            return None

        login = wait_until("the admin login line and the server's answer", ready, START_TIMEOUT)
        assert isinstance(login, Login)
        if not login.admin_url.startswith(self.base):
            raise SmokeFailure(f"demo printed {login.admin_url}, expected {self.base}/admin/")
        return login

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.base + path, timeout=10) as response:
                return response.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self) -> None:
        """SIGTERM the whole group (demo.sh, runserver and its reloader, the worker), then KILL."""
        for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline and _group_alive(self.process.pid):
                self.process.poll()  # reap demo.sh itself so it does not linger as a zombie
                time.sleep(0.1)
            if not _group_alive(self.process.pid):
                break
        self.process.wait(timeout=10)
        self.reader.join(timeout=10)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def manage(demo: Demo, *args: str) -> str:
    """Run `manage.py ARGS` against the demo's database, as a newcomer's second terminal."""
    command = [str(PYTHON), "manage.py", *args]
    result = subprocess.run(
        command, cwd=ROOT, env=demo.env, capture_output=True, text=True, timeout=180
    )
    if result.returncode != 0:
        raise SmokeFailure(
            f"{shlex.join(command[1:])} exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )
    return result.stdout + result.stderr


def readme_curl_example() -> str:
    """The README's `curl -s -X POST` example, from its first line to the end of its block."""
    readme = (ROOT / "README.md").read_text()
    for block in re.findall(r"```bash\n(.*?)```", readme, re.S):
        if "curl -s -X POST" in block:
            return block[block.index("curl -s -X POST") :].strip()
    raise SmokeFailure("README.md has no `curl -s -X POST` example; update scripts/demo_smoke.py")


def run_curl(demo: Demo, token: str, workdir: Path) -> tuple[int, dict[str, str], dict]:
    """Run the README's curl line against the demo; return HTTP status, headers and JSON."""
    headers_file, body_file = workdir / "curl-headers", workdir / "curl-body"
    command = readme_curl_example().replace("http://127.0.0.1:8000", demo.base)
    command += f" -D {headers_file} -o {body_file} -w '%{{http_code}}'"
    result = subprocess.run(
        ["bash", "-c", command],
        env={**demo.env, "TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise SmokeFailure(f"the README's curl exited with {result.returncode}: {result.stderr}")
    headers = {}
    for line in headers_file.read_text().splitlines()[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = body_file.read_text()
    try:
        return int(result.stdout), headers, json.loads(body)
    except ValueError as exc:
        raise SmokeFailure(f"the README's curl got {result.stdout}: {body[:500]}") from exc


@contextmanager
def browser_page(demo: Demo, external: list[str]) -> Iterator[object]:
    """A chromium page whose requests to anything but the demo are blocked and recorded."""
    from playwright.sync_api import sync_playwright

    def only_local(route, request) -> None:
        if urlsplit(request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            external.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30_000)
            context.set_default_navigation_timeout(60_000)
            context.route("**/*", only_local)
            page = context.new_page()
            try:
                yield page
            except BaseException:
                shot = ROOT / "test-results" / "demo-smoke-failure.png"
                shot.parent.mkdir(exist_ok=True)
                try:
                    page.screenshot(path=str(shot), full_page=True)
                    say(f"screenshot of the page at the failure ({page.url}): {shot}")
                except Exception as exc:  # the page may be what broke
                    say(f"no screenshot: {exc}")
                raise
        finally:
            browser.close()


def wait_for_text(page, what: str, url: str, selector: str, text: str, count: int = 1) -> None:
    """Reload `url` until `count` elements matching `selector` contain `text`."""

    def probe() -> bool:
        page.goto(url)
        return page.locator(selector, has_text=text).count() >= count

    def seen() -> str:
        rows = page.locator(selector).all_inner_texts()[:10]
        return "\n".join(f"    {' '.join(row.split())}" for row in rows) or "    (nothing)"

    wait_until(what, probe, seen=seen)


def check_newcomer_flow(demo: Demo, login: Login, workdir: Path) -> None:
    base = demo.base
    external: list[str] = []
    with browser_page(demo, external) as page:
        page.goto(login.admin_url)
        page.fill("#id_username", login.user)
        page.fill("#id_password", login.password)
        page.click("input[type=submit]")
        page.wait_for_url(re.compile(r"/admin/$"))
        say(f"logged in to {login.admin_url} as {login.user!r} with the printed password")

        body = f"Hello from the demo smoke test {os.getpid()}"
        out = manage(demo, "attentive_send", PHONE, body)
        match = re.search(r"Text #(\d+) to \S+: (\w+)", out)
        if not match:
            raise SmokeFailure(f"attentive_send printed no 'Text #N to ...: status':\n{out}")
        message_id = match[1]
        say(f"manage.py attentive_send {PHONE} ... -> text #{message_id}: {match[2]}")

        messages = f"{base}/admin/django_attentive/outboundmessage/"
        sent_row = page.locator(
            "#result_list tr", has_text=body, has=page.locator(".attentive-status-sent")
        )

        def listed_as_sent() -> bool:
            page.goto(messages)
            return sent_row.count() == 1

        wait_until(f"text #{message_id} as sent in the admin's message list", listed_as_sent)
        say("the admin's message list shows it as sent")
        page.click(f"#result_list a[href$='/{message_id}/change/']")
        page.wait_for_url(re.compile(rf"/outboundmessage/{message_id}/change/$"))
        status = page.get_attribute("#attentive-status-banner", "data-status")
        attempts = page.locator("#attentive-history .attentive-attempt")
        if status != "sent" or attempts.count() != 1 or "200" not in attempts.inner_text():
            raise SmokeFailure(
                f"text #{message_id}'s page: status {status!r}, "
                f"{attempts.count()} attempt(s): {page.inner_text('#attentive-history')}"
            )
        say("its page shows status sent and one attempt answered HTTP 200")

        page.goto(messages)
        page.click("text=Fake Attentive inbox")
        inbox = f"{base}/fake-attentive/inbox/"
        page.wait_for_url(inbox)
        wait_for_text(page, "the text in the fake inbox", inbox, "tbody tr", body)
        say("the fake inbox (linked from the message list) shows it")

        # README step 5: texts to several numbers are queued; the worker beside the server sends.
        page.goto(f"{messages}compose/")
        bulk = f"Flash sale from the demo smoke test {os.getpid()}"
        page.fill("#id_recipients", "+1 201 555 0124\n+1 201 555 0125")
        page.fill("#id_body", bulk)
        page.click("input[name=_send]")
        page.click("input[name=_confirm]")
        queued = page.inner_text(".messagelist")
        if "Queued 2 texts" not in queued:
            raise SmokeFailure(f"composing a text to two numbers said: {queued!r}")
        say("composed a text to two numbers in the admin: queued for the worker")
        wait_for_text(page, "the worker to send both to the inbox", inbox, "tbody tr", bulk, 2)
        say("the worker sent both; the inbox shows them")

        page.goto(f"{base}/shop/")
        customer = f"Smoke {os.getpid()}"
        page.fill("#id_customer_name", customer)
        page.fill("#id_phone", "+1 201 555 0123")
        page.select_option("#id_item", "mug")
        # Order texts only with the customer's consent: the box starts unticked.
        if page.is_checked("#id_order_texts"):
            raise SmokeFailure("the checkout's order-texts box was ticked before the customer")
        page.check("#id_order_texts")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/shop/thanks/\d+/$"))
        number = page.url.rstrip("/").rsplit("/", 1)[1]
        say(f"placed order #{number} at /shop/")
        placed = f"Thanks {customer}! Order #{number}"
        wait_for_text(page, "the confirmation text in the inbox", inbox, "tbody tr", placed)
        say(f"the inbox shows the confirmation: {placed!r}...")

        # The returning customer browses and adds to the cart: Attentive's eCommerce events.
        page.goto(f"{base}/shop/products/mug/")
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/shop/\?item=mug$"))
        for event in ("purchase", "product-view", "add-to-cart"):
            wait_for_text(page, f"the {event} event in the inbox", inbox, "tbody tr", f"“{event}”")
        say("the worker posted the purchase, product view and add-to-cart events to the inbox")

        page.goto(f"{base}/admin/shop/order/")
        row = page.locator("#result_list tr", has_text=customer)
        row.locator("input.action-select").check()
        page.select_option("select[name=action]", "mark_shipped")
        page.click("button[name=index]")
        page.wait_for_selector(".messagelist")
        done = page.inner_text(".messagelist")
        if "1 order(s) marked shipped" not in done:
            raise SmokeFailure(f"the admin's 'Mark selected orders shipped' said: {done!r}")
        say("marked it shipped with the admin action")
        shipped = f"order #{number} has shipped!"
        wait_for_text(page, "the shipping text in the inbox", inbox, "tbody tr", shipped)
        say(f"the inbox shows the shipping text: {shipped!r}")

        external.clear()
        page.goto(f"{base}/api/docs/")
        assets = page.eval_on_selector_all(
            "script[src], link[rel=stylesheet], link[rel=icon]",
            "els => els.map(e => e.src || e.href)",
        )
        if not assets or any(not a.startswith(f"{base}/static/") for a in assets):
            raise SmokeFailure(f"Swagger UI must load only local static files, not {assets}")
        operation = page.locator(".opblock-summary-path", has_text="/attentive/api/messages/")
        operation.first.wait_for(state="visible", timeout=CHECK_TIMEOUT * 1000)
        if external:
            raise SmokeFailure(f"Swagger UI asked other hosts (blocked): {external}")
        say(
            f"Swagger UI rendered {page.locator('.opblock').count()} operations from "
            f"{len(assets)} local static assets, with requests to other hosts blocked"
        )

    status, headers, answer = run_curl(demo, login.token, workdir)
    if status != 201 or answer.get("status") != "sent" or answer.get("to") != PHONE:
        raise SmokeFailure(
            f"the README's curl: expected 201 and a sent text, got {status} {answer}"
        )
    say(f"the README's curl example with the printed token: 201, text #{answer['id']} sent")
    again, headers, replay = run_curl(demo, login.token, workdir)
    if (again, replay.get("id")) != (201, answer["id"]) or (
        headers.get("idempotent-replayed") != "true"
    ):
        raise SmokeFailure(
            f"the README's curl a second time: expected the same 201 replayed, "
            f"got {again} {replay} (Idempotent-Replayed: {headers.get('idempotent-replayed')})"
        )
    say("run again: the same 201, Idempotent-Replayed: true")


def main() -> int:
    started = time.monotonic()
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") in ("true", "1"):
            say(f"FAILED: {reason}; CI must run the demo smoke test")
            return 1
        say(f"SKIPPED: {reason}")
        return SKIPPED
    # A TERM from `timeout` or CI ends the run through the finally below, killing the demo.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("demo-smoke: terminated"))
    with tempfile.TemporaryDirectory(prefix="attentive-demo-smoke-") as tmp:
        workdir = Path(tmp)
        demo = Demo(workdir)
        say(f"started scripts/demo.sh on {demo.base} with {demo.env['DATABASE_URL']}")
        try:
            for tries_left in (2, 1, 0):
                try:
                    login = demo.wait_ready()
                    break
                except PortTaken as exc:
                    if not tries_left:
                        raise
                    demo.stop()
                    demo = Demo(workdir)
                    say(f"port {exc} was taken meanwhile; restarted the demo on {demo.base}")
            say(f"demo is up after {time.monotonic() - started:.0f}s; it printed the admin login")
            check_newcomer_flow(demo, login, workdir)
            tracebacks = [line for line in demo.lines if line.startswith("Traceback")]
            if tracebacks:
                raise SmokeFailure(f"the demo printed {len(tracebacks)} traceback(s) meanwhile")
            say("the demo (server and worker) printed no traceback")
        except Exception as exc:
            # Static files' request lines would crowd out what matters.
            lines = [line for line in demo.lines if '"GET /static/' not in line][-60:]
            tail = "\n".join(f"    | {line}" for line in lines)
            print(f"demo-smoke: the demo's output (last 60 lines):\n{tail}", file=sys.stderr)
            print(f"demo-smoke: FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            demo.stop()
    say(f"OK: every step of the newcomer flow works ({time.monotonic() - started:.0f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
