FROM eclipse-temurin:21 AS jre
RUN $JAVA_HOME/bin/jlink --add-modules java.base,java.logging --strip-debug --no-man-pages --no-header-files --compress=2 --output /javaruntime
FROM debian:bookworm-slim
ENV JAVA_HOME=/opt/java/openjdk PATH="/opt/java/openjdk/bin:$PATH"
COPY --from=jre /javaruntime $JAVA_HOME
COPY app.jar /app.jar
CMD ["java", "-jar", "/app.jar"]
