# Tally processor. Build from the repository root:
#   docker build -f deploy/docker/processor.Dockerfile -t tally-processor .
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

# JRE only; the shaded jar holds every dependency.
# Java 21, a current LTS: rebuild the image regularly to take the JDK's security updates (docs/operations.md)
FROM eclipse-temurin:21-jre
RUN groupadd --system --gid 10001 tally && useradd --system --uid 10001 --gid tally --no-create-home --shell /usr/sbin/nologin tally
COPY --from=build /src/app/target/tally.jar /app/tally.jar
USER 10001:10001
ENV TALLY_METRICS_PORT=9400 \
    TALLY_LOG_FORMAT=json
EXPOSE 9400
# No curl in the JRE image: bash's /dev/tcp asks /health/ready and checks for a 200 status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${TALLY_METRICS_PORT} && printf 'GET /health/ready HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
# Heap sized from the container's memory limit, leaving the rest to what the JVM keeps outside the heap
# (metaspace, code, GC structures, thread stacks: ~110 MB here), so that a full heap ends in the JVM's own
# OutOfMemoryError, which ends the process (the orchestrator restarts it; its leases expire and other processors
# take over), and never in the kernel's OOM kill. bench/container-memory.sh measures it (BENCHMARKS.md, "Memory").
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:InitialRAMPercentage=50", "-XX:+UseG1GC", \
            "-XX:+ExitOnOutOfMemoryError", "-jar", "/app/tally.jar", "processor"]
