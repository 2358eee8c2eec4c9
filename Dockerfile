# One image for every service: the whole workspace is built once; each container runs one service.
# NODE_IMAGE: any Node 26 image on Debian bookworm (e2e/compose/build-local-images.sh builds one
# without a registry).
ARG NODE_IMAGE=node:26-bookworm-slim
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/contracts/package.json packages/contracts/
COPY packages/kit/package.json packages/kit/
COPY packages/launcher/package.json packages/launcher/
COPY services/catalog/package.json services/catalog/
COPY services/cart/package.json services/cart/
COPY services/payments/package.json services/payments/
COPY services/orders/package.json services/orders/
COPY services/accounts/package.json services/accounts/
COPY services/mcp-gateway/package.json services/mcp-gateway/
COPY widgets/package.json widgets/
COPY e2e/package.json e2e/
# Behind a TLS-inspecting proxy, pass its CA bundle as the build secret npm_ca
# (`docker build --secret id=npm_ca,src=$NODE_EXTRA_CA_CERTS`): it is used by this step only and
# never stored in a layer. Without the secret the file is absent and npm trusts the usual CAs.
RUN --mount=type=secret,id=npm_ca --mount=type=cache,target=/root/.npm \
    if [ -s /run/secrets/npm_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/npm_ca; fi; \
    npm ci --no-audit --no-fund
COPY . .
RUN npx tsc -b && npm run build -w widgets && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
# orders and accounts write e-mails here when no SMTP_URL is set; a named volume inherits this owner.
RUN mkdir -p /data/mail && chown node:node /data/mail
USER node
# docker-compose.yml sets the command per service, e.g. `node services/catalog/dist/main.js`.
CMD ["node", "services/mcp-gateway/dist/main.js"]
