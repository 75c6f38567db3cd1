# The vakt operator image: `docker build -t vakt:dev .`, then `docker run vakt:dev --help`.
# Node 24 runs the TypeScript sources directly (type stripping), so there is no build step:
# the image holds bin/, src/, policies/ and the production dependencies, nothing else.

# Production dependencies only, from the lockfile. No install scripts: none are needed.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm cache clean --force

FROM node:24-slim
ENV NODE_ENV=production
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
