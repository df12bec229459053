"""The HTTP plumbing under the routes: the edge middleware, security headers and
request rules, clients and rate limits, the app's state, dependencies, templates
and the request's language. Nothing here imports :mod:`app.web.routes`."""
