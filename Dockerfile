# civicwatt: one image for `civicwatt run` (and every other sub-command).
# Stage 1 builds the wheel (shipped tariffs, factors and device profiles are package data);
# stage 2 installs only that wheel: no source tree, no editable install.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY civicwatt ./civicwatt
COPY collector ./collector
COPY store ./store
COPY rules ./rules
COPY forecaster ./forecaster
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
# CJK fonts and Pango for the daily report's charts and PDF.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk libpango-1.0-0 \
      libpangoft2-1.0-0 libharfbuzz-subset0 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --uid 10001 civicwatt \
 && mkdir -p /etc/civicwatt /var/lib/civicwatt \
 && chown civicwatt /var/lib/civicwatt
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir /tmp/wheels/civicwatt-*.whl && rm -rf /tmp/wheels

USER civicwatt
WORKDIR /var/lib/civicwatt
# The site config is mounted here; state (spool, SQLite store, reports) lives in the volume.
VOLUME ["/var/lib/civicwatt"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status != 200)"
ENTRYPOINT ["civicwatt"]
CMD ["run", "--config", "/etc/civicwatt/site.yaml"]
