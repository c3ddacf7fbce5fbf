FROM ruby:3.3-slim
RUN gem install bundler:2.5.11 && gem install --no-document rake
WORKDIR /app
COPY Gemfile Gemfile.lock ./
RUN bundle install --jobs 4 --retry 3
COPY . .
CMD ["bundle", "exec", "ruby", "app.rb"]
