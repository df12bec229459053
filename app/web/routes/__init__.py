"""The routes and each page's own logic; they build on :mod:`app.web.http`."""
