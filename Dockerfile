# syntax=docker/dockerfile:1
FROM node:20.20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev
# The upstream simulator ships only when asked for (compose's sandbox default asks for it).
ARG INCLUDE_SANDBOX=false
RUN if [ "$INCLUDE_SANDBOX" != "true" ]; then \
      rm -rf dist/sandbox dist/sandbox-mode.js dist/redis/local-redis-server.js dist/families/*/sandbox; \
    fi

FROM node:20.20-bookworm-slim
ENV NODE_ENV=production
# A heap cap keeps RSS bounded (V8 otherwise grows the old space lazily under load); see docs/performance.md.
ENV NODE_OPTIONS=--max-old-space-size=160
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]
