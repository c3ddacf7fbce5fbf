# corpus-expect: no-merge
FROM debian:bookworm
RUN ln -sf /bin/bash /bin/sh
RUN source /etc/profile && echo "$PATH" > /path.txt
