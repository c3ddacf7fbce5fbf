FROM node:20
WORKDIR /app
COPY .yarnrc.yml package.json yarn.lock ./
COPY .yarn ./.yarn
RUN corepack enable && yarn install --immutable
COPY . .
RUN yarn build
CMD ["yarn", "node", "server.js"]
