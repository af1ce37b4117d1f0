# syntax=docker/dockerfile:1
# gastown-operator image: Node 24 runs the TypeScript sources directly (type stripping, no build
# step), as a non-root user, with a read-only root filesystem in the Deployment.
#
#   docker build -t gastown-operator:0.1.0 .
#
# gt and bd are NOT in the image: the operator must run the town's own gt/bd version. Either
#   - mount them from the town host (deploy/ does: hostPath files at /opt/gastown/bin/{gt,bd},
#     GT_PATH/BD_PATH point there), or
#   - build a derived image with your binaries:
#       FROM gastown-operator:0.1.0
#       COPY --chmod=0755 gt bd /opt/gastown/bin/
#     and turn the host mounts off (Helm: volumes.enabled=false plus your own town volume).
# gt shells out to git and tmux, so the runtime stage has both.

ARG NODE_IMAGE=node:24-bookworm-slim

# Production dependencies only; the pinned `node` dev dependency is not needed (the image has
# Node 24) and no install scripts run.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tmux ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
           /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
 && mkdir -p /opt/gastown/bin
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
# sim/: the bundled town simulator (`inspect --simulate`); the command line imports it.
COPY src ./src
COPY sim ./sim
ENV NODE_ENV=production \
    GT_PATH=/opt/gastown/bin/gt \
    BD_PATH=/opt/gastown/bin/bd
USER 65532:65532
EXPOSE 8080 8081
# --optimize-for-size, as bin/gastown-operator passes it: V8 returns the heap pages a start-up
# burst grew (`run` at 50 x 10 idles at 181-194 MB RSS instead of 390-399 MB, for 10-25 % more
# CPU; bench/results/scale.md, "Memory: where the heap goes"). NODE_OPTIONS refuses it.
ENTRYPOINT ["node", "--optimize-for-size", "/app/src/main.ts"]
CMD ["run"]
