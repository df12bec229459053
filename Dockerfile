# mailsetup: slim, non-root image. Build: docker build -t mailsetup .
# Run:   docker run -p 8000:8000 -e MAILSETUP_PUBLIC_URL=https://mail-setup.example.com \
#          -e MAILSETUP_SECRET_KEY=<long random string> mailsetup
# MAILSETUP_PUBLIC_URL is optional: unset, links and QR codes use each request's origin
# (see the README's "Configuration").
# Several instances with shared rate limits and cache: see .ci/compose.yaml and the
# README's "Production" section.
FROM python:3.11-slim AS build
WORKDIR /src
# Exactly the versions CI tested (requirements/runtime.txt, with hashes; bash .ci/lock).
COPY requirements/runtime.txt ./requirements/
RUN python -m venv /opt/mailsetup \
 && /opt/mailsetup/bin/pip install --no-cache-dir --require-hashes -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY app ./app
COPY data ./data
COPY templates ./templates
COPY static ./static
# The wheel bundles data/, templates/ and static/ (see app/paths.py); the build backend
# comes from the lock too.
RUN /opt/mailsetup/bin/pip install --no-cache-dir --no-deps --no-build-isolation .

FROM python:3.11-slim
# One worker per container (mailsetup serve runs one): with --workers > 1,
# uvicorn 0.54 binds its socket without IPPROTO_TCP, so asyncio never sets TCP_NODELAY
# and each keep-alive request waits ~40 ms (measured here: 323 req/s with 2 workers,
# 733 with 1). Scale with more containers (.ci/compose.yaml).
ENV PATH=/opt/mailsetup/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MAILSETUP_LOG_FORMAT=json
COPY --from=build /opt/mailsetup /opt/mailsetup
RUN useradd --system --uid 10001 --no-create-home mailsetup
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# `mailsetup serve` runs uvicorn with the production settings (app/cli/serve.py, SERVER_OPTIONS).
CMD ["mailsetup", "serve", "--host", "0.0.0.0", "--port", "8000"]
