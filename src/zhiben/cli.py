"""The `zhiben` command: Django's management commands with friendlier names.

zhiben serve [addr:port]   run Zhiben: prepare (cache table, static files, cut-off imports), then start and
                           supervise its processes: the web server, two task workers (`zhiben worker`: one
                           for the "default" queue, one for all) and the scheduler (enqueues `zhiben tick`
                           every few minutes); a worker or the scheduler that dies is started again
zhiben worker              only a task worker (imports, big exports, deliveries, the tick)
zhiben web [addr:port]     only the web server (gunicorn), in the foreground: what a systemd unit runs
zhiben dev [addr:port]     Django's development server with code reloading, and a task worker (not for production)
zhiben setup               migrate, load reference data, create the cache table, collect static files
zhiben demo                demo accounts and data (idempotent)
zhiben audit verify        check the audit hash chain (--checkpoint <value>: and that it still holds it)
zhiben audit checkpoint    print the signed head of the chain, to keep outside the database
zhiben <any manage.py command>

Why gunicorn: it is the WSGI server a district's IT department already knows (packaged by every Linux
distribution, documented behind nginx, supervised by systemd), maintained since 2010, pure Python with no
build step, and its pre-fork model with threaded workers (``gthread``) suits a Django app on SQLite or
PostgreSQL: several processes use both cores, threads overlap database waits, a stuck worker is killed
and replaced by the master. It sets TCP_NODELAY (Django's development server does not, which costs ~40 ms
per keep-alive request) and speaks keep-alive. Granian or uvicorn would add ASGI, which Zhiben does not use.

Environment (all optional):

ZHIBEN_WEB_WORKERS   worker processes (default 4: two per core of a small 2-core server)
ZHIBEN_WEB_THREADS   threads per worker (default 4); each thread keeps its own database connection
ZHIBEN_WEB_TIMEOUT   seconds a request may run before its worker is replaced (default 120: big exports)
ZHIBEN_WEB_ACCESS_LOG  "-" (default: stdout), a file path, or "off"
ZHIBEN_FORWARDED_ALLOW_IPS  proxies trusted for X-Forwarded-* (default 127.0.0.1,::1: nginx on the same host)
ZHIBEN_SCHEDULER     0: `zhiben serve` starts no scheduler (ticks run elsewhere: a systemd timer, cron)
ZHIBEN_TASK_WORKERS  task workers `zhiben serve` starts (default 2: "default" queue + all queues; 0: none,
                     the workers run elsewhere); ZHIBEN_TASKS_BACKEND (settings/base.py) picks the queue
ZHIBEN_TICK_INTERVAL seconds between two ticks of the scheduler (default 300)
ZHIBEN_WEB_MAX_REQUEST_LINE  longest request line (URL with query) in bytes, up to 8190 (default); longer is 414
ZHIBEN_STOP_TIMEOUT  seconds `zhiben serve` waits for its processes after Ctrl+C before killing them (default 10)
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ALIASES = {"dev": "runserver"}
DEFAULT_ADDRESS = "127.0.0.1:8000"


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhiben.config.settings.local")
    command = argv[1] if len(argv) > 1 else ""
    if command == "serve":
        sys.exit(serve(argv[2:]))
    if command == "serve-prepare":
        sys.exit(_prepare())
    if command == "web":
        sys.exit(web(argv[2:]))
    dev = command == "dev"
    if command in ALIASES:
        argv[1] = command = ALIASES[command]
    if command == "runserver":
        # Static files straight from the app directories, re-read on change (config/settings/local.py).
        os.environ["ZHIBEN_DEV_SERVER"] = "1"
    from django.core.management import execute_from_command_line

    if command == "runserver":
        _recover_imports()
    if dev:
        _dev_worker()

    execute_from_command_line(argv)


def _dev_worker() -> None:
    """`zhiben dev`: a task worker beside the development server (imports, exports and deliveries
    would wait in the queue otherwise), started once — not again by the autoreloader's child — and
    stopped with it (the terminal's Ctrl+C reaches both; PDEATHSIG if the server is killed).
    ZHIBEN_DEV_WORKER=0: none."""
    if os.environ.get("RUN_MAIN") == "true" or os.environ.get("ZHIBEN_DEV_WORKER", "1").strip() in ("0", "false", "no"):
        return
    import atexit

    worker = subprocess.Popen([sys.executable, "-m", "zhiben", "worker"], preexec_fn=_die_with_parent)
    atexit.register(_stop, {"worker": worker}, signal.SIGTERM, 5.0)


# --- zhiben serve: prepare, then supervise the processes -------------------------------------------


def processes(address: str) -> list[tuple[str, list[str]]]:
    """The processes `zhiben serve` starts and supervises, as (name, argv); each stops on SIGINT/SIGTERM.
    Task workers: ZHIBEN_TASK_WORKERS (default 2: the first serves only the "default" queue, so a
    reminder or a delivery never waits behind an import; the others serve every queue). The scheduler
    enqueues the tick every ZHIBEN_TICK_INTERVAL seconds (ZHIBEN_SCHEDULER=0: not started, e.g. when a
    systemd timer or another host runs the ticks)."""
    python = [sys.executable, "-m", "zhiben"]
    found = [("web", [*python, "web", address])]
    workers = _bounded_int("ZHIBEN_TASK_WORKERS", 2, 0, 16)
    for n in range(workers):
        queues = "default" if n == 0 and workers > 1 else "*"
        found.append((f"worker-{n + 1}", [*python, "worker", "--queues", queues]))
    if os.environ.get("ZHIBEN_SCHEDULER", "1").strip().lower() not in ("0", "false", "no", "off"):
        found.append(("scheduler", [*python, "scheduler"]))
    return found


def serve(args: list[str]) -> int:
    address = _address(args)
    # In a child process: the supervisor itself never loads Django (it stays small and holds no
    # database connection).
    try:
        prepared = subprocess.run([sys.executable, "-m", "zhiben", "serve-prepare"], check=False)
    except KeyboardInterrupt:  # Ctrl+C while preparing: the child got it too and has stopped
        return 130
    if prepared.returncode:
        return prepared.returncode
    return supervise(processes(address))


def _address(args: list[str]) -> str:
    # --noreload is accepted for the callers of the former runserver alias (gunicorn never reloads).
    options = [a for a in args if a.startswith("-") and a != "--noreload"]
    positional = [a for a in args if not a.startswith("-")]
    if options or len(positional) > 1:
        raise SystemExit("用法：zhiben serve [地址:端口]（默认 127.0.0.1:8000）")
    address = positional[0] if positional else DEFAULT_ADDRESS
    if address.isdigit():  # like runserver: a bare port listens on 127.0.0.1
        address = f"127.0.0.1:{address}"
    return address


def _prepare() -> int:
    """Once, before the processes start: the cache table, the static files (collected with their
    hashed names when no manifest exists yet; `zhiben setup` refreshes them), cut-off imports."""
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.core.management import call_command

    try:
        call_command("createcachetable", verbosity=0)
    except Exception as exc:  # no database yet: the pages will say so; the server still starts
        print(f"缓存表未创建（{exc}）；请先运行 zhiben setup。", file=sys.stderr)
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not (Path(settings.STATIC_ROOT) / manifest).exists():
        print("正在收集静态文件（首次启动）……", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)
    _recover_imports()
    return 0


RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before restarting a child that keeps dying
STEADY_AFTER = 60.0  # a child that ran this long before it died is restarted after the first backoff


def supervise(children: list[tuple[str, list[str]]]) -> int:
    """Start every child in its own process group, wait; on SIGINT/SIGTERM (one Ctrl+C) pass the
    signal on to each child, and kill what is still running after ZHIBEN_STOP_TIMEOUT seconds. A task
    worker or the scheduler that ends by itself (killed, crashed) is started again after a short
    backoff, like gunicorn replaces a worker; when the web server ends the others are stopped too, and
    its exit status is returned."""
    stop_timeout = float(os.environ.get("ZHIBEN_STOP_TIMEOUT", 10))
    received: list[int] = []

    def on_signal(signum, frame):
        received.append(signum)

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    argvs = dict(children)
    running: dict[str, subprocess.Popen] = {}
    started: dict[str, float] = {}
    failures: dict[str, int] = {}
    restart_at: dict[str, float] = {}
    status = 0

    def start(name: str) -> None:
        # A new session: the terminal's Ctrl+C reaches only this supervisor, which stops the
        # children in order; the children die with it even if it is killed (PDEATHSIG).
        running[name] = subprocess.Popen(argvs[name], start_new_session=True, preexec_fn=_die_with_parent)
        started[name] = time.monotonic()

    try:
        for name, _argv in children:
            if received:
                break
            start(name)
        while not received:
            ended = [(name, proc) for name, proc in running.items() if proc.poll() is not None]
            if any(name == "web" for name, _ in ended):
                status = running["web"].returncode or 1
                print(f"进程 web 已退出（{running['web'].returncode}），停止其余进程。", file=sys.stderr, flush=True)
                break
            now = time.monotonic()
            for name, proc in ended:
                del running[name]
                failures[name] = 0 if now - started[name] >= STEADY_AFTER else failures.get(name, 0) + 1
                wait = RESTART_BACKOFF[min(failures[name], len(RESTART_BACKOFF) - 1)]
                restart_at[name] = now + wait
                print(f"进程 {name} 已退出（{proc.returncode}），{wait:g} 秒后重新启动。", file=sys.stderr, flush=True)
            for name, when in list(restart_at.items()):
                if now >= when:
                    del restart_at[name]
                    start(name)
            time.sleep(0.2)
        signum = received[0] if received else signal.SIGTERM
        _stop(running, signum, stop_timeout)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop(running, signal.SIGKILL, 0)
    return 0 if received else status


def _stop(running: dict[str, subprocess.Popen], signum: int, timeout: float) -> None:
    for proc in running.values():
        if proc.poll() is None:
            _signal_group(proc, signum)
    deadline = time.monotonic() + timeout
    for proc in running.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(max(0.0, deadline - time.monotonic()))
    for proc in running.values():
        if proc.poll() is None:
            _signal_group(proc, signal.SIGKILL)
            proc.wait()


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    """The child and everything it started (gunicorn's master and workers share its group)."""
    try:
        if signum == signal.SIGKILL:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)  # the child's own shutdown stops its workers in order
    except ProcessLookupError:
        pass


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when the supervisor dies, even by kill -9."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:  # not Linux: the supervisor's own shutdown still stops the children
        pass


# --- zhiben web: gunicorn in the foreground -----------------------------------------------------------


def _bounded_int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise SystemExit(f"{name} 应为 {low}–{high} 之间的整数，而不是 {raw!r}") from None
    if not low <= value <= high:
        raise SystemExit(f"{name} 应为 {low}–{high} 之间的整数")
    return value


def web(args: list[str]) -> int:
    """Gunicorn with gthread workers serving zhiben.config.wsgi. SIGINT: quick stop; SIGTERM: graceful
    stop (requests in progress finish); SIGHUP: reload the workers (after an update)."""
    from gunicorn.app.base import BaseApplication

    address = _address(args)
    access_log = os.environ.get("ZHIBEN_WEB_ACCESS_LOG", "-")
    options = {
        "bind": [address],
        "workers": int(os.environ.get("ZHIBEN_WEB_WORKERS", 4)),
        "worker_class": "gthread",
        "threads": int(os.environ.get("ZHIBEN_WEB_THREADS", 4)),
        "timeout": int(os.environ.get("ZHIBEN_WEB_TIMEOUT", 120)),
        "graceful_timeout": int(os.environ.get("ZHIBEN_WEB_GRACEFUL_TIMEOUT", 8)),
        "keepalive": 5,
        # The longest request line (method, URL with its query string, version) accepted; longer answers 414.
        # 8190 is gunicorn's largest bounded value and nginx's default buffer; 0 = unlimited (only for the
        # API fuzzer, whose generated query strings may be longer than any real client's).
        "limit_request_line": _bounded_int("ZHIBEN_WEB_MAX_REQUEST_LINE", 8190, 0, 8190),
        "forwarded_allow_ips": os.environ.get("ZHIBEN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1"),
        "accesslog": None if access_log == "off" else access_log,
        "proc_name": "zhiben-web",
        # No runtime control socket (gunicorn ≥ 24 creates one under ~/.gunicorn by default, shared by
        # every instance of the user); restart and reload are done with signals.
        "control_socket_disable": True,
    }

    class ZhibenWeb(BaseApplication):
        def load_config(self):
            for key, value in options.items():
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            # In each worker (no preload): Django and its connections are never shared across fork.
            from zhiben.config.wsgi import application

            return application

    ZhibenWeb().run()
    return 0


def _recover_imports() -> None:
    """Import jobs cut off by the previous run are marked failed at start."""
    try:
        import django

        django.setup()
        from zhiben.imports.runner import recover_abandoned_jobs

        recover_abandoned_jobs()
    except Exception:  # no database yet (before `zhiben setup`): nothing to recover
        pass


if __name__ == "__main__":
    main()
