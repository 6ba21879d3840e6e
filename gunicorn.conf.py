"""gunicorn settings shared by `make run`, the Dockerfile and the tests.

Override any of them on the command line or with GUNICORN_CMD_ARGS (e.g. "--bind 127.0.0.1:9000").
"""

bind = "0.0.0.0:8050"
workers = 4
# Long whole-mission queries run as background callbacks; a plain request may still take a while.
timeout = 300
graceful_timeout = 30
# The largest request line gunicorn accepts; AWA keeps its links shorter
# (awa.model.MAX_QUERY_CHARS).
limit_request_line = 8190
accesslog = "-"
errorlog = "-"
