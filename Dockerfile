# The pma image used by docker-compose.yml: Node 24 with production dependencies only.
# TypeScript runs directly (Node's type stripping); the entrypoint is the `pma` CLI.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
# The data volume mounts here; created in the image so the volume starts owned by `node`.
RUN mkdir -p /data && chown node:node /data
USER node
ENTRYPOINT ["node", "cli/pma.ts"]
CMD ["--help"]
