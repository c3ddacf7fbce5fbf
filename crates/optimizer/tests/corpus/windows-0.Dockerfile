# corpus-expect: unchanged
FROM mcr.microsoft.com/windows/servercore:ltsc2022
RUN mkdir C:\\app
RUN echo hello > C:\\app\\hello.txt
WORKDIR C:\\app
COPY . .
RUN dir
