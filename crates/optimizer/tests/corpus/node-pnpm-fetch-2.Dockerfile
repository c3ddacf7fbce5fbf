FROM node:22 AS base
RUN corepack enable
WORKDIR /app
COPY pnpm-lock.yaml ./
RUN pnpm fetch --prod
COPY . .
RUN pnpm install -r --offline --prod
RUN pnpm run build
CMD ["node", "dist/index.js"]
