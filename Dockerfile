# syntax=docker/dockerfile:1
# Turbine: multi-stage image. The build stage compiles node-rdkafka (librdkafka) and the
# TypeScript; the runtime stage has production dependencies only and runs as a non-root user.
#   docker build -t turbine .
#   docker run --rm -e TURBINE_BROKERS=kafka:9092 -e TURBINE_INPUT=in -e TURBINE_OUTPUT=out \
#     -e TURBINE_GROUP=g -e TURBINE_WORKER=/app/dist/workers/inventory.js turbine
# On a container with many CPUs add -e TURBINE_PROCESSES=auto (one engine process per 8 CPUs of
# the quota, each with its share of TURBINE_POOL_SIZE): one process's main thread bounds what its
# pool can be given (docs/scaling.md). Port 9464 then serves all of them.

FROM node:20-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libssl-dev libsasl2-dev zlib1g-dev liblz4-dev libzstd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs the postinstall hook (scripts/patch-node-rdkafka.js, which compiles
# scripts/native/turbine-batch.cc into node-rdkafka's addon), so both must be here first.
COPY scripts/patch-node-rdkafka.js ./scripts/
COPY scripts/native ./scripts/native
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY workers ./workers
COPY benchmarks ./benchmarks
COPY bin ./bin
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini ca-certificates libssl3 libsasl2-2 zlib1g liblz4-1 libzstd1 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    TURBINE_METRICS_PORT=9464
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./package.json
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --from=build --chown=node:node /app/bin ./bin
COPY --from=build --chown=node:node /app/workers/schemas ./dist/workers/schemas
USER node
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "require('http').get('http://127.0.0.1:'+(process.env.TURBINE_METRICS_PORT||9464)+'/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"
# tini as PID 1 forwards SIGTERM to Node, which drains before exiting (with TURBINE_PROCESSES > 1,
# to the supervisor, which drains every engine process and exits 0 only if all drained).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/turbine.js"]
CMD ["run"]
