"""The web app: server-rendered pages (FastAPI, Jinja2, HTMX) over the same application layer as the CLI.

Pages parse the request, call `engine.service.Rutin`, and render its views; they never touch the database.
Sign-in and sessions go through the `Authenticator` and `SessionStore` ports (engine/ports.py).
"""
