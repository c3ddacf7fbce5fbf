FROM ubuntu:22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y software-properties-common && add-apt-repository -y ppa:git-core/ppa
RUN apt-get install -y git
RUN apt-get update && apt-get install -y python3-pip && pip3 install --no-cache-dir awscli
