FROM bash:5
RUN bash -c '(( 1 + 1 == 2 ))'
RUN (( $(nproc) > 1 )) && echo multi || echo single
