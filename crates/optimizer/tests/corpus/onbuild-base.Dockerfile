# corpus-expect: unchanged
FROM node:20-alpine
WORKDIR /app
ONBUILD COPY package.json package-lock.json ./
ONBUILD RUN npm ci
ONBUILD COPY . .
ONBUILD RUN npm run build
CMD ["node", "index.js"]
