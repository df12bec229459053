# mailsetup: slim, non-root image. Build: docker build -t mailsetup .
# Run:   docker run -p 8000:8000 -e MAILSETUP_PUBLIC_URL=https://mail-setup.example.com mailsetup
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY data ./data
COPY templates ./templates
COPY static ./static
# The wheel bundles data/, templates/ and static/ (see app/paths.py).
RUN python -m venv /opt/mailsetup \
 && /opt/mailsetup/bin/pip install --no-cache-dir .

FROM python:3.11-slim
ENV PATH=/opt/mailsetup/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=build /opt/mailsetup /opt/mailsetup
RUN useradd --system --uid 10001 --no-create-home mailsetup
USER 10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=5s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["mailsetup", "serve", "--host", "0.0.0.0", "--port", "8000"]
