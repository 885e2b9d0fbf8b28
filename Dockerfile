# modelslo: one image, two roles (daemon, sidecar) and the CLI.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 (a later dependency) builds a native module: toolchain in the build stage only.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY examples ./examples
USER node
ENTRYPOINT ["node", "/app/bin/modelslo.js"]
CMD ["--help"]
