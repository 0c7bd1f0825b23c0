# cleave: one image for every shape. `docker run` of it is the whole system on embedded defaults
# (data under the /data volume); MODULES, TRANSPORT and the store URLs make it any one module of
# the split shape. Node.js LTS on Debian bookworm slim; runs as the non-root user node (1000)
# with a read-only root filesystem: only DATA_DIR (/data) is written.
ARG NODE_MAJOR=24

FROM node:${NODE_MAJOR}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 # Not needed at run time: the MongoDB test server (an optional dependency for the tests),
 # TypeScript (@nestjs/swagger depends on it for its build-time plugin only), source maps of
 # dependencies, type declarations and docs.
 && rm -rf node_modules/@jongodb node_modules/typescript \
 && find node_modules \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' \
      -o -iname 'README*' -o -iname 'CHANGELOG*' \) -type f -delete

FROM node:${NODE_MAJOR}-bookworm-slim
# Set by the build (CI passes the repository's URL and the package version).
ARG VERSION=0.0.0-dev
ARG SOURCE=""
LABEL org.opencontainers.image.title="cleave" \
      org.opencontainers.image.description="Auth, user and order modules in one deployable that splits into services by configuration" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="UNLICENSED"
# MALLOC_ARENA_MAX: glibc gives each thread that allocates (libuv's pool hashes passwords with
# argon2id, 19 MiB at a time) an arena of its own, which it keeps; two bound that growth
# (README: "Memory").
ENV NODE_ENV=production \
    PORT=3000 \
    DATA_DIR=/data \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json openapi.json ./
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
# The base image's entrypoint execs this, so node is PID 1: SIGTERM starts the graceful drain.
CMD ["node", "--liftoff-only", "dist/main.js"]
