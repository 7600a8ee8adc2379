# Tally ingest service (HTTP API and producer). Build from the repository root:
#   docker build -f deploy/docker/service.Dockerfile -t tally-service .
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml ./
COPY common common
COPY producer producer
COPY processor processor
COPY app app
# the libraries' tests compile against the test kit
COPY testkit testkit
# the root pom lists the bom, it and bench modules too; their poms are enough for Maven to read the reactor (-pl builds only what the image needs)
COPY bom/pom.xml bom/pom.xml
COPY it/pom.xml it/pom.xml
COPY bench/pom.xml bench/pom.xml
RUN --mount=type=cache,target=/root/.m2 mvn -q -B -DskipTests -pl app -am package

# Java 21, a current LTS: rebuild the image regularly to take the JDK's security updates (docs/operations.md)
FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 tally && useradd --system --uid 10001 --gid tally --no-create-home --shell /usr/sbin/nologin tally
COPY --from=build /src/app/target/tally.jar /app/tally.jar
USER 10001:10001
ENV TALLY_API_PORT=8080 \
    TALLY_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${TALLY_API_PORT} && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# Heap sized from the container's memory limit, leaving the rest to what the JVM keeps outside the heap: with
# a request thread per connection (api-max-connections + 32) that is ~200 MB at 512 connections, so that a full
# heap ends in the JVM's OutOfMemoryError (the process exits and is restarted), never in the kernel's OOM kill.
# bench/container-memory.sh measures it (BENCHMARKS.md, "Memory").
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=50", "-XX:InitialRAMPercentage=50", "-XX:+UseG1GC", \
            "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/tally.jar", "serve"]
