# corpus-expect: no-mount
FROM ruby:3.3-slim
WORKDIR /app
COPY Gemfile Gemfile.lock ./
RUN bundle config set --local deployment 'true' && bundle config set --local without 'development test' && bundle install
COPY . .
CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]
