package io.tally.bench;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A single-node Kafka (KRaft: broker and controller in one JVM) in a folder of the bench's, started from
 * the Kafka artifacts on the bench's class path: the anchor the Kafka baseline measures against.
 * Topics default to replication factor 1; the broker's log is {@code kafka-broker.log} in the folder.
 */
final class KafkaBroker implements AutoCloseable {
    final String bootstrap;
    final Child child;

    private KafkaBroker(String bootstrap, Child child) {
        this.bootstrap = bootstrap;
        this.child = child;
    }

    static KafkaBroker start(Path dir) {
        int port = freePort();
        int controllerPort = freePort();
        Path data = dir.resolve("kafka-data");
        Path props = dir.resolve("kafka-server.properties");
        try {
            Files.createDirectories(data);
            Files.writeString(props, String.join("\n",
                    "process.roles=broker,controller",
                    "node.id=1",
                    "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
                    "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
                    "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
                    "controller.listener.names=CONTROLLER",
                    "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
                    "inter.broker.listener.name=PLAINTEXT",
                    "log.dirs=" + data,
                    "num.partitions=" + Workload.PARTITIONS,
                    "offsets.topic.replication.factor=1",
                    "transaction.state.log.replication.factor=1",
                    "transaction.state.log.min.isr=1",
                    "share.coordinator.state.topic.replication.factor=1",
                    "share.coordinator.state.topic.min.isr=1",
                    "group.initial.rebalance.delay.ms=0",
                    "auto.create.topics.enable=false", ""));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        format(dir, props);
        List<String> cmd = new ArrayList<>(Child.java("-Xmx1g", "-XX:+UseG1GC"));
        cmd.addAll(List.of("-cp", Child.classpath(), "kafka.Kafka", props.toString()));
        Child child = Child.start("kafka-broker", cmd, dir);
        KafkaBroker broker = new KafkaBroker("127.0.0.1:" + port, child);
        broker.awaitReady();
        return broker;
    }

    Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
    }

    private static void format(Path dir, Path props) {
        List<String> cmd = new ArrayList<>(Child.java());
        cmd.addAll(List.of("-cp", Child.classpath(), "kafka.tools.StorageTool", "format",
                "-t", Uuid.randomUuid().toString(), "-c", props.toString()));
        try (Child format = Child.start("kafka-format", cmd, dir)) {
            int code = format.await(120_000);
            if (code != 0) {
                throw new IllegalStateException("kafka storage format exited with " + code + ":\n" + format.tail());
            }
        }
    }

    private void awaitReady() {
        long deadline = System.currentTimeMillis() + 60_000;
        try (Admin admin = admin()) {
            while (true) {
                child.requireAlive();
                try {
                    admin.describeCluster().nodes().get(2, TimeUnit.SECONDS);
                    return;
                } catch (Exception e) {
                    if (System.currentTimeMillis() > deadline) {
                        throw new IllegalStateException("kafka did not start in 60 s:\n" + child.tail(), e);
                    }
                    Sleep.ms(200);
                }
            }
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        child.close();
    }
}
