import java.time.Duration;
import java.util.Collection;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.common.Node;

/**
 * Readiness probe for broker.sh: exits 0 once the broker answers metadata requests.
 *
 * An open port is not enough in KRaft mode: the listener accepts connections before the
 * broker has caught up with the metadata log, and clients then see timeouts or
 * "not controller" errors. Polling with a real Admin client inside one JVM avoids paying
 * a JVM start per attempt, and watching the broker's pid lets a crashed broker fail the
 * wait at once instead of after the full timeout.
 *
 * Usage: WaitReady <bootstrap> <timeoutMs> [brokerPid]
 * Exit codes: 0 ready, 2 timed out, 3 broker process gone, 64 bad usage.
 */
public final class WaitReady {
    public static void main(String[] args) throws InterruptedException {
        if (args.length < 2) {
            System.err.println("usage: WaitReady <bootstrap> <timeoutMs> [brokerPid]");
            System.exit(64);
        }
        String bootstrap = args[0];
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Long.parseLong(args[1]));
        long pid = args.length > 2 ? Long.parseLong(args[2]) : -1;

        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        // Short timeouts so a not-yet-ready broker costs one quick retry, not 30 s.
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MS_CONFIG, 100);
        props.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);

        String last = "no answer yet";
        Admin admin = Admin.create(props);
        try {
            while (System.nanoTime() < deadline) {
                if (pid > 0 && !ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    System.err.println("broker process " + pid + " exited while waiting for it");
                    System.exit(3);
                }
                // Never wait past the deadline, so the caller's timeout means what it says.
                long budgetMs = Math.max(1, Math.min(3000, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                try {
                    DescribeClusterResult cluster = admin.describeCluster();
                    Collection<Node> nodes = cluster.nodes().get(budgetMs, TimeUnit.MILLISECONDS);
                    Set<String> topics = admin.listTopics(new ListTopicsOptions().listInternal(true))
                            .names().get(budgetMs, TimeUnit.MILLISECONDS);
                    if (!nodes.isEmpty()) {
                        System.out.println("ready: cluster " + cluster.clusterId().get(budgetMs, TimeUnit.MILLISECONDS)
                                + ", " + nodes.size() + " broker(s), " + topics.size() + " topic(s)");
                        return;
                    }
                    last = "metadata lists no brokers yet";
                } catch (ExecutionException e) {
                    last = String.valueOf(e.getCause());
                } catch (TimeoutException e) {
                    last = "request timed out";
                }
                Thread.sleep(200);
            }
        } finally {
            admin.close(Duration.ofSeconds(1));
        }
        System.err.println("broker at " + bootstrap + " not ready before the deadline; last error: " + last);
        System.exit(2);
    }
}
