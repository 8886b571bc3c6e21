# syntax=docker/dockerfile:1
# One image for every process of the relay; the command picks the service:
#   node --import @nrelay/telemetry/register apps/standalone/dist/main.js   (default: the whole relay)
#   node --import @nrelay/telemetry/register services/gateway/dist/main.js | services/ingest/dist/main.js
#                                             | services/query/dist/main.js
#   node apps/standalone/dist/migrate.js (the migration job)
# `--import @nrelay/telemetry/register` starts OpenTelemetry tracing before the service loads when
# OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_TRACES_EXPORTER is set, and loads nothing otherwise.

FROM node:20-bookworm-slim AS build
WORKDIR /app
ENV TURBO_TELEMETRY_DISABLED=1
# bcrypto (native Schnorr verifier, docs/adr/0004) builds with node-gyp at install.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY . .
RUN npm ci --no-audit --no-fund && npx turbo run build --filter='./apps/*' --filter='./services/*'

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
# Every workspace's manifest, so `npm ci --omit=dev` links the workspace packages.
COPY --from=build /app/libs ./libs
COPY --from=build /app/services ./services
COPY --from=build /app/apps ./apps
COPY --from=build /app/tools/bench/package.json ./tools/bench/package.json
COPY --from=build /app/tests/integration/package.json ./tests/integration/package.json
# dist/ holds only what the services run: tests and what only tests use (fixtures, `testing`
# helpers, conformance suites, store tools/) compile into dist-test/ (ADR 0015), which the build
# stage never builds and .dockerignore keeps out. Only the TypeScript sources are removed here.
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts \
 && find libs services apps -type d \( -name src -o -name .turbo \) -prune -exec rm -rf {} +
# The addon built in the build stage (this stage skips install scripts and has no compiler).
COPY --from=build /app/node_modules/bcrypto/build/Release/bcrypto.node ./node_modules/bcrypto/build/Release/bcrypto.node

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 DATA_DIR=/data
WORKDIR /app
COPY --from=deps --chown=node:node /app /app
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 7777
CMD ["node", "--import", "@nrelay/telemetry/register", "apps/standalone/dist/main.js"]
