# corpus-expect: unchanged
FROM mcr.microsoft.com/dotnet/framework/sdk:4.8
RUN mkdir C:\\app
RUN echo hello > C:\\app\\hello.txt
WORKDIR C:\\app
COPY . .
RUN dir
