"""WSGI entry point: ``gunicorn app:server`` serves AWA with settings from ``AWA_*``."""

from awa import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    app.run(debug=False)
