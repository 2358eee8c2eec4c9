# One image for every service: the whole workspace is built once; each container runs one service.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/kit/package.json packages/kit/
COPY packages/launcher/package.json packages/launcher/
COPY services/catalog/package.json services/catalog/
COPY services/cart/package.json services/cart/
COPY services/payments/package.json services/payments/
COPY services/orders/package.json services/orders/
COPY services/mcp-gateway/package.json services/mcp-gateway/
COPY widgets/package.json widgets/
COPY e2e/package.json e2e/
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm run build -w widgets

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
RUN npm prune --omit=dev --no-audit --no-fund || true
# The orders service writes emails here when no SMTP_URL is set; a named volume inherits this owner.
RUN mkdir -p /data/mail && chown node:node /data/mail
USER node
# docker-compose.yml sets the command per service, e.g. `node services/catalog/dist/main.js`.
CMD ["node", "services/mcp-gateway/dist/main.js"]
