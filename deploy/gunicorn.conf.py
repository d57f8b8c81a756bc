"""gunicorn settings shared by the four services; every value can come from the environment."""

import os


def _env(name: str, default: str) -> str:
    """A setting from the environment; empty counts as unset (docker-compose passes `${X:-}`)."""
    return os.environ.get(name) or default


bind = _env("BIND", "0.0.0.0:8000")
workers = int(_env("WEB_CONCURRENCY", "2"))
threads = int(_env("GUNICORN_THREADS", "4"))
# gthread, answering what gunicorn refuses before any app runs (a request line or header over
# the limits below, bad header bytes) in the services' JSON error shape, not gunicorn's HTML.
worker_class = "survey_core.web.gunicorn_worker.JsonErrorWorker"
# gunicorn's own defaults, stated: a request line (method, path and query) of at most 4094
# bytes (414 uri_too_long beyond; the longest URL we hand out, a signed survey link, is under
# 300), at most 100 header fields of at most 8190 bytes each (431 header_too_large beyond).
# nginx in front (deploy/nginx.conf, large_client_header_buffers 4 8k) lets a request line of
# up to 8 KB through, so gunicorn is the one that refuses one of 4-8 KB.
limit_request_line = int(_env("LIMIT_REQUEST_LINE", "4094"))
limit_request_fields = int(_env("LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(_env("LIMIT_REQUEST_FIELD_SIZE", "8190"))
# Under Twilio's 15 s webhook deadline: a stuck request is cut before Twilio gives up on us.
timeout = int(_env("GUNICORN_TIMEOUT", "12"))
graceful_timeout = 10
keepalive = 5
# The apps write one JSON access-log line per request (with its request id) to stdout;
# gunicorn's own access log would repeat it.
accesslog = _env("GUNICORN_ACCESSLOG", "") or None
errorlog = "-"
loglevel = _env("LOG_LEVEL", "info").lower()
forwarded_allow_ips = _env("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Each worker makes its own MongoClient after the fork (connect=False, created on first use).
preload_app = False
# Four masters on one host would fight over gunicorn's default control socket path.
control_socket_disable = True

# /metrics adds up every worker's counts (prometheus-client's multiprocess mode): one directory
# per master (per port), emptied when it starts and handed to the workers it forks; a dead
# worker's gauges are dropped. Set in the master's start hook, not when this file is read.


def on_starting(server):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    import shutil

    port = bind.rsplit(":", 1)[-1]
    default = os.path.join(_env("METRICS_DIR", "/tmp"), f"voc-prometheus-{port}")
    # Not passed by docker-compose (an empty PROMETHEUS_MULTIPROC_DIR would switch
    # prometheus-client into multiprocess mode in every process): derived here.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or default
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
