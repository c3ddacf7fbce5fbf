# corpus-expect: no-merge
FROM alpine:3.19
RUN apk add --no-cache git openssh-client
RUN eval "$(ssh-agent -s)" && ssh-add /keys/deploy
RUN git clone git@example.com:org/repo.git /src
