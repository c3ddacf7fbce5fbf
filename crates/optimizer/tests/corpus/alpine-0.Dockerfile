FROM alpine:3.19
RUN apk update
RUN apk add --no-cache curl bash tini
RUN addgroup -S app && adduser -S -G app app
COPY --chown=app:app entrypoint.sh /entrypoint.sh
RUN chmod +x /entrypoint.sh
USER app
ENTRYPOINT ["/sbin/tini", "--", "/entrypoint.sh"]
