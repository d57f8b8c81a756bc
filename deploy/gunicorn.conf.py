"""gunicorn settings shared by the four services; every value can come from the environment."""

import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gthread, answering what gunicorn refuses before any app runs (a request line or header over
# the limits below, bad header bytes) in the services' JSON error shape, not gunicorn's HTML.
worker_class = "survey_core.web.gunicorn_worker.JsonErrorWorker"
# gunicorn's own defaults, stated: a request line (method, path and query) of at most 4094
# bytes (414 uri_too_long beyond; the longest URL we hand out, a signed survey link, is under
# 300), at most 100 header fields of at most 8190 bytes each (431 header_too_large beyond).
# nginx in front (deploy/nginx.conf, large_client_header_buffers 4 8k) lets a request line of
# up to 8 KB through, so gunicorn is the one that refuses one of 4-8 KB.
limit_request_line = int(os.environ.get("LIMIT_REQUEST_LINE", "4094"))
limit_request_fields = int(os.environ.get("LIMIT_REQUEST_FIELDS", "100"))
limit_request_field_size = int(os.environ.get("LIMIT_REQUEST_FIELD_SIZE", "8190"))
# Under Twilio's 15 s webhook deadline: a stuck request is cut before Twilio gives up on us.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "12"))
graceful_timeout = 10
keepalive = 5
# The apps write one JSON access-log line per request (with its request id) to stdout;
# gunicorn's own access log would repeat it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
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
    default = os.path.join(os.environ.get("METRICS_DIR", "/tmp"), f"voc-prometheus-{port}")
    directory = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", default)
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):  # noqa: ANN001, ANN201 - gunicorn's hook signature
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
