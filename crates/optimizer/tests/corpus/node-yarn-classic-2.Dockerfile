FROM node:22
WORKDIR /usr/src/app
COPY package.json yarn.lock ./
RUN yarn install --frozen-lockfile && yarn cache clean
COPY . .
RUN yarn build
EXPOSE 8080
CMD ["yarn", "start"]
