# The vakt operator image: `docker build -t vakt:dev .`, then `docker run vakt:dev --help`.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step:
# the image holds bin/, src/, policies/ and the production dependencies, nothing else.

# Both stages use one base, pinned by digest (the multi-architecture index of
# node:24.19.0-bookworm-slim), so a rebuild of the same commit starts from the same bytes.
# Bump tag and digest together.

# Production dependencies only, from the lockfile. No install scripts: none are needed.
FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM node:24.19.0-bookworm-slim@sha256:a9f5f7c91a432850b2a8a7797adf5eadb6c733ceed61167806cee7ea7fbc29df
ENV NODE_ENV=production
# The operator runs node alone: no package manager in the runtime image, so neither its
# code nor its advisories ship, and nothing in a running pod can install more. (The files
# stay in the base layer's blob; the image's filesystem, which scanners and pods see, has
# none of them.) The digest, like the actions' SHAs, was cross-checked against other public
# uses of node:24.19.0-bookworm-slim; confirm it with
# `docker buildx imagetools inspect node:24.19.0-bookworm-slim` when bumping.
RUN rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx \
    /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
    /root/.npm
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json ./
COPY bin ./bin
COPY src ./src
COPY policies ./policies
# A numeric user, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/vakt.js"]
CMD ["operator"]
