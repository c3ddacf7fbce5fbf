FROM hexpm/elixir:1.16.2-erlang-26.2.4-debian-bookworm-20240423-slim AS build
RUN apt-get update -y && apt-get install -y build-essential git && apt-get clean && rm -f /var/lib/apt/lists/*_*
WORKDIR /app
RUN mix local.hex --force && mix local.rebar --force
ENV MIX_ENV=prod
COPY mix.exs mix.lock ./
RUN mix deps.get --only $MIX_ENV
COPY . .
RUN mix release
FROM debian:bookworm-slim
COPY --from=build /app/_build/prod/rel/app /app
CMD ["/app/bin/app", "start"]
