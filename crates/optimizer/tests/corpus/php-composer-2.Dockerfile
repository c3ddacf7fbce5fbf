FROM composer:2 AS vendor
WORKDIR /app
COPY composer.json composer.lock ./
RUN composer install --no-dev --no-scripts --no-autoloader --prefer-dist
COPY . .
RUN composer dump-autoload --optimize --classmap-authoritative

FROM php:8.3-fpm-alpine
RUN apk add --no-cache icu-dev libzip-dev
RUN docker-php-ext-install intl zip pdo_mysql opcache
COPY --from=vendor /app /var/www/html
RUN chown -R www-data:www-data /var/www/html/storage
