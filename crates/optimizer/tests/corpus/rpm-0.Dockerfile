FROM fedora:40
RUN dnf -y install gcc make openssl-devel && dnf clean all
RUN dnf -y install python3-pip && dnf clean all
COPY . /src
RUN make -C /src install
CMD ["/usr/local/bin/svc"]
