# modelslo: one image, two roles (daemon, sidecar) and the CLI. docs/deploy.md.
#   docker build -t modelslo:0.1.0 .
#   docker run modelslo:0.1.0 daemon --help
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 builds a native module when no prebuilt binary fits: toolchain in this stage only.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm ci runs `prepare` (tsc → dist/); then drop the dev dependencies.
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
# tini as PID 1: it forwards SIGTERM to node and reaps zombies. The daemon and the sidecar handle
# SIGTERM themselves (finish in-flight work, flush, exit), but node as PID 1 would get no default
# signal handlers from the kernel for anything it does not handle.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
# What HEALTHCHECK asks (the daemon's default port); the sidecar's container sets
# MODELSLO_HEALTH_URL=http://127.0.0.1:8081/healthz. Kubernetes ignores HEALTHCHECK and uses the probes.
ENV MODELSLO_HEALTH_URL=http://127.0.0.1:9464/healthz
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
# The image's node user, by number so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
EXPOSE 9464 8081
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.MODELSLO_HEALTH_URL).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/bin/modelslo.js"]
CMD ["--help"]
